// Compile-time proof that the client's types agree with httpapi/openapi.yaml
// (through src/openapi.ts, generated from it): every response body the
// document describes fits the type the client reads it as, and every
// request body the client sends fits the document. `tsc` (in `npm test`)
// fails on drift: a field renamed, a type changed, a required one added.
// Nothing here runs; the module exports only types.

import type { components } from "./openapi.js";
import type {
  AccessToken,
  AccountConfiguration,
  AuthenticationMethod,
  ChangePasswordInput,
  Configuration,
  EmailAddress,
  ErrorEntry,
  Flow,
  LoginInput,
  PasswordResetInfo,
  Profile,
  ProfileInput,
  Provider,
  ProviderAccount,
  ResetPasswordInput,
  SignupInput,
  User,
  UserSession,
  WebAuthnCreationOptions,
  WebAuthnRequestOptions,
} from "./types.js";

type S = components["schemas"];
type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Responses = components["responses"];
type RequestBodies = components["requestBodies"];

/** True when A is assignable to B; a `false` here is a compile error below. */
type Fits<A, B> = [A] extends [B] ? true : false;
type Check<T extends true> = T;

/** The checks, by name; each must be `true`. */
export type Contract = {
  user: Check<Fits<S["User"], User>>;
  method: Check<Fits<S["AuthenticationMethod"], AuthenticationMethod>>;
  flow: Check<Fits<S["Flow"], Flow>>;
  reauthFlow: Check<Fits<S["ReauthenticationFlow"], Flow>>;
  session: Check<Fits<S["Session"], UserSession>>;
  email: Check<Fits<S["EmailAddress"], EmailAddress>>;
  accountConfig: Check<Fits<S["AccountConfiguration"], AccountConfiguration>>;
  config: Check<Fits<S["ConfigurationResponse"]["data"], Configuration>>;
  accessToken: Check<Fits<S["AccessTokenResponse"]["data"], AccessToken>>;
  resetInfo: Check<Fits<S["PasswordResetInfoResponse"]["data"], PasswordResetInfo>>;
  errorEntry: Check<Fits<S["ErrorEntry"], ErrorEntry>>;
  profile: Check<Fits<Json<Responses["Profile"]>["data"], Profile>>;
  provider: Check<Fits<S["Provider"], Provider>>;
  providerAccount: Check<Fits<S["ProviderAccount"], ProviderAccount>>;
  webauthnCreation: Check<Fits<Json<Responses["WebAuthnCreationOptions"]>["data"], WebAuthnCreationOptions>>;
  webauthnRequest: Check<Fits<Json<Responses["WebAuthnRequestOptions"]>["data"], WebAuthnRequestOptions>>;
  passkeyLoginOptions: Check<Fits<Json<Responses["PasskeyLoginOptions"]>["data"], WebAuthnRequestOptions>>;
  // Requests: what the client sends must be what the document accepts.
  login: Check<Fits<LoginInput, S["Login"]>>;
  signup: Check<Fits<Required<Pick<SignupInput, "email">> & SignupInput, S["Signup"]>>;
  changePassword: Check<Fits<ChangePasswordInput, S["ChangePassword"]>>;
  resetPassword: Check<Fits<ResetPasswordInput, S["ResetPassword"]>>;
  updateProfile: Check<Fits<ProfileInput, Json<RequestBodies["UpdateProfile"]>>>;
};
