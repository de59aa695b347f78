-- Users' first and last names (Django's auth_user has both), edited on the
-- profile page and kept by latch import-django.
ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
