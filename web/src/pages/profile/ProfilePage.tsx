import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Profile } from "@latchauth/client";
import { api, keys } from "../../app/latch";
import { ApiForm, Field, SubmitButton, useApiForm } from "../../components/forms";
import { ErrorPanel, Loading, Notice, Page } from "../../components/ui";

/** The profile form's fields, as the API names them. */
export const PROFILE_FIELDS = ["username", "first_name", "last_name"] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

/** The fields whose value differs from the stored profile (only those are sent). */
export function changedFields(values: Readonly<Record<string, string>>, current: Profile): Partial<Profile> {
  const out: Partial<Profile> = {};
  for (const f of PROFILE_FIELDS) {
    const v = (values[f] ?? "").trim();
    if (v !== current[f]) out[f] = v;
  }
  return out;
}

/** `/account/profile`: the username and the first and last names. */
export function ProfilePage() {
  const qc = useQueryClient();
  const profile = useQuery({ queryKey: keys.profile, queryFn: api.getProfile });
  const form = useApiForm({
    fields: PROFILE_FIELDS,
    mutationFn: (v: Record<ProfileField, string>) => {
      const current = qc.getQueryData<Profile>(keys.profile);
      return api.updateProfile(current ? changedFields(v, current) : v);
    },
    onSuccess: (data) => {
      qc.setQueryData(keys.profile, data);
      // The username is the user's display name: refresh the session.
      void qc.invalidateQueries({ queryKey: keys.session });
    },
  });
  if (profile.isPending) {
    return (
      <Page title="Profile">
        <Loading label="Loading your profile…" />
      </Page>
    );
  }
  if (profile.isError) {
    return (
      <Page title="Profile">
        <ErrorPanel error={profile.error} retry={() => void profile.refetch()} />
      </Page>
    );
  }
  const p = profile.data;
  return (
    <Page title="Profile" lead="Your name and the username you can sign in with.">
      {form.succeeded ? (
        <Notice kind="success">
          <p>Your profile was saved.</p>
        </Notice>
      ) : null}
      {/* A saved profile remounts the inputs (key) with the stored values. */}
      <ApiForm
        onValues={(v) => form.submit({ username: v.username ?? "", first_name: v.first_name ?? "", last_name: v.last_name ?? "" })}
        error={form.error}
        formErrors={form.formErrors}
        label="Profile"
        key={`${p.username}\u0000${p.first_name}\u0000${p.last_name}`}
      >
        <Field
          label="Username"
          name="username"
          defaultValue={p.username}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          hint="Letters, digits and @ . + - _ only."
          errors={form.fieldErrors.username}
        />
        <Field label="First name" name="first_name" defaultValue={p.first_name} autoComplete="given-name" optional errors={form.fieldErrors.first_name} />
        <Field label="Last name" name="last_name" defaultValue={p.last_name} autoComplete="family-name" optional errors={form.fieldErrors.last_name} />
        <div className="form-actions">
          <SubmitButton pending={form.pending} retryIn={form.retryIn}>
            Save
          </SubmitButton>
        </div>
      </ApiForm>
    </Page>
  );
}
