package main

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch/latchauth"
)

// Limits that keep one user from filling the server's memory.
const (
	maxBodyBytes    = 64 << 10
	maxTitle        = 200 // characters
	maxText         = 20000
	maxNotesPerUser = 1000
)

// note is one user's note.
type note struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Text    string    `json:"text"`
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
}

// seenUser is what the server remembers of a user who called it.
type seenUser struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Username  string    `json:"username"`
	Staff     bool      `json:"is_staff"`
	Superuser bool      `json:"is_superuser"`
	LastSeen  time.Time `json:"last_seen"`
	Notes     int       `json:"notes"`
}

// server holds the notes, by owner and then by note id, so that a lookup
// never reaches another user's notes: someone else's note id is simply not
// found.
type server struct {
	now func() time.Time

	mu    sync.Mutex
	notes map[string]map[string]*note // owner's user id → note id → note
	users map[string]*seenUser        // by user id
}

// newServer returns the API's handler: every route behind Latch's
// middleware, the notes for any logged-in user, the user list for
// superusers. Go's cross-origin protection stops cross-site browsers from
// using a logged-in user's session cookie against the unsafe routes.
func newServer(auth *latchauth.Auth) http.Handler {
	s := &server{now: time.Now, notes: map[string]map[string]*note{}, users: map[string]*seenUser{}}
	user := func(h http.HandlerFunc) http.Handler { return latchauth.RequireUser(s.track(h)) }

	mux := http.NewServeMux()
	mux.Handle("GET /api/notes", user(s.listNotes))
	mux.Handle("POST /api/notes", user(s.createNote))
	mux.Handle("GET /api/notes/{id}", user(s.getNote))
	mux.Handle("PUT /api/notes/{id}", user(s.updateNote))
	mux.Handle("DELETE /api/notes/{id}", user(s.deleteNote))
	mux.Handle("GET /api/users", latchauth.RequireStaff(s.track(s.listUsers)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeDetail(w, http.StatusNotFound, "Not found.")
	})
	return http.NewCrossOriginProtection().Handler(auth.Middleware(mux))
}

// current returns the request's user; the routes are behind RequireUser.
func current(r *http.Request) *latchauth.User {
	u, ok := latchauth.UserFrom(r.Context())
	if !ok {
		panic("notes: handler reached without a user")
	}
	return u
}

// track remembers the caller for GET /api/users, then runs h.
func (s *server) track(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := current(r)
		s.mu.Lock()
		seen := s.users[u.ID]
		if seen == nil {
			seen = &seenUser{ID: u.ID}
			s.users[u.ID] = seen
		}
		seen.Email, seen.Username, seen.Staff, seen.Superuser, seen.LastSeen = u.Email, u.Username, u.Staff, u.Superuser, s.now()
		s.mu.Unlock()
		h(w, r)
	}
}

// GET /api/notes: the caller's notes, oldest first.
func (s *server) listNotes(w http.ResponseWriter, r *http.Request) {
	uid := current(r).ID
	s.mu.Lock()
	list := make([]note, 0, len(s.notes[uid]))
	for _, n := range s.notes[uid] {
		list = append(list, *n)
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b note) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	writeJSON(w, http.StatusOK, map[string]any{"notes": list})
}

// POST /api/notes {title, text}: a new note, 201.
func (s *server) createNote(w http.ResponseWriter, r *http.Request) {
	in, ok := readNote(w, r)
	if !ok {
		return
	}
	uid := current(r).ID
	now := s.now()
	n := &note{ID: rand.Text(), Title: in.Title, Text: in.Text, Created: now, Updated: now}
	s.mu.Lock()
	mine := s.notes[uid]
	if mine == nil {
		mine = map[string]*note{}
		s.notes[uid] = mine
	}
	if len(mine) >= maxNotesPerUser {
		s.mu.Unlock()
		writeDetail(w, http.StatusConflict, "Too many notes: delete some first.")
		return
	}
	mine[n.ID] = n
	out := *n
	s.mu.Unlock()
	w.Header().Set("Location", "/api/notes/"+out.ID)
	writeJSON(w, http.StatusCreated, out)
}

// GET /api/notes/{id}: one of the caller's notes.
func (s *server) getNote(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := s.find(r)
	var out note
	if n != nil {
		out = *n
	}
	s.mu.Unlock()
	if n == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// PUT /api/notes/{id} {title, text}: replaces a note's title and text.
func (s *server) updateNote(w http.ResponseWriter, r *http.Request) {
	in, ok := readNote(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	n := s.find(r)
	var out note
	if n != nil {
		n.Title, n.Text, n.Updated = in.Title, in.Text, s.now()
		out = *n
	}
	s.mu.Unlock()
	if n == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// DELETE /api/notes/{id}: 204.
func (s *server) deleteNote(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := s.find(r)
	if n != nil {
		delete(s.notes[current(r).ID], n.ID)
	}
	s.mu.Unlock()
	if n == nil {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// find returns the caller's note named in the path, or nil. s.mu is held.
func (s *server) find(r *http.Request) *note {
	return s.notes[current(r).ID][r.PathValue("id")]
}

// GET /api/users: the users this server has seen, for superusers only
// (RequireStaff lets staff through; this list is for superusers).
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	if !current(r).Superuser {
		writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
		return
	}
	s.mu.Lock()
	list := make([]seenUser, 0, len(s.users))
	for _, u := range s.users {
		c := *u
		c.Notes = len(s.notes[u.ID])
		list = append(list, c)
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b seenUser) int { return cmp.Or(strings.Compare(a.Email, b.Email), strings.Compare(a.ID, b.ID)) })
	writeJSON(w, http.StatusOK, map[string]any{"users": list})
}

// noteInput is the body of POST and PUT.
type noteInput struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// readNote decodes and checks a note body, answering 400 (or 413) itself
// when it is not acceptable.
func readNote(w http.ResponseWriter, r *http.Request) (noteInput, bool) {
	var in noteInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("trailing data")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeDetail(w, http.StatusRequestEntityTooLarge, "Request body too large.")
		return in, false
	case err != nil:
		writeDetail(w, http.StatusBadRequest, "Malformed JSON: want {\"title\": …, \"text\": …}.")
		return in, false
	}
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		writeDetail(w, http.StatusBadRequest, "A title is required.")
	case utf8.RuneCountInString(in.Title) > maxTitle:
		writeDetail(w, http.StatusBadRequest, "The title is too long.")
	case utf8.RuneCountInString(in.Text) > maxText:
		writeDetail(w, http.StatusBadRequest, "The text is too long.")
	default:
		return in, true
	}
	return in, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeDetail writes an error the way latchauth and Django REST framework do.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}
