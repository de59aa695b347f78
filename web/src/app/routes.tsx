// The pages of the app. A new page (social login, MFA, admin) is one entry
// here; `nav` puts it in the header for the visitors it concerns.

import { lazy, type ComponentType } from "react";
import { ChangePasswordPage } from "../pages/account/ChangePasswordPage";
import { HomePage } from "../pages/account/HomePage";
import { LogoutPage } from "../pages/account/LogoutPage";
import { DeleteAccountPage } from "../pages/delete/DeleteAccountPage";
import { MFAAuthenticatePage } from "../pages/mfa/MFAAuthenticatePage";
import { MFATrustPage } from "../pages/mfa/MFATrustPage";
import { ReauthenticatePage } from "../pages/mfa/ReauthenticatePage";
import { ProfilePage } from "../pages/profile/ProfilePage";
import { ProviderCallbackPage } from "../pages/providers/ProviderCallbackPage";
import { ProviderSignupPage } from "../pages/providers/ProviderSignupPage";
import { ProvidersPage } from "../pages/providers/ProvidersPage";
import { EmailsPage } from "../pages/emails/EmailsPage";
import { CodeLoginConfirmPage } from "../pages/login/CodeLoginConfirmPage";
import { CodeLoginRequestPage } from "../pages/login/CodeLoginRequestPage";
import { LoginPage } from "../pages/login/LoginPage";
import { ContinuePage } from "../pages/misc/ContinuePage";
import { RootRedirect } from "../pages/misc/RootRedirect";
import { RequestResetPage } from "../pages/reset/RequestResetPage";
import { ResetByCodePage } from "../pages/reset/ResetByCodePage";
import { ResetByKeyPage } from "../pages/reset/ResetByKeyPage";
import { SessionsPage } from "../pages/sessions/SessionsPage";
import { SignupPage } from "../pages/signup/SignupPage";
import { VerifyEmailKeyPage } from "../pages/verify-email/VerifyEmailKeyPage";
import { VerifyEmailPage } from "../pages/verify-email/VerifyEmailPage";

// Pages few visitors open load on demand (their own chunk): the two-factor
// page brings the QR code generator.
const TwoFactorPage = lazy(() => import("../pages/mfa/TwoFactorPage").then((m) => ({ default: m.TwoFactorPage })));
// The admin pages (staff only) are a chunk of their own.
const AdminUsersPage = lazy(() => import("../pages/admin/AdminUsersPage").then((m) => ({ default: m.AdminUsersPage })));
const AdminUserPage = lazy(() => import("../pages/admin/AdminUserPage").then((m) => ({ default: m.AdminUserPage })));
const AdminAuditPage = lazy(() => import("../pages/admin/AdminAuditPage").then((m) => ({ default: m.AdminAuditPage })));

/**
 * Who may see a page: `authenticated` pages send visitors to sign in (and
 * back after); `anonymous` ones send signed-in users to their account;
 * `any` pages decide for themselves.
 */
export type Access = "any" | "anonymous" | "authenticated";

export interface AppRoute {
  path: string;
  component: ComponentType;
  access: Access;
  /** A header link, shown to the visitors `access` admits. */
  nav?: { label: string; when: "authenticated" | "anonymous"; needs?: "signup" | "staff" };
}

export const routes: AppRoute[] = [
  { path: "/", component: RootRedirect, access: "any" },

  // Signing in and up.
  { path: "/account/login", component: LoginPage, access: "anonymous", nav: { label: "Sign in", when: "anonymous" } },
  { path: "/account/login/code", component: CodeLoginRequestPage, access: "anonymous" },
  { path: "/account/login/code/confirm", component: CodeLoginConfirmPage, access: "anonymous" },
  {
    path: "/account/signup",
    component: SignupPage,
    access: "anonymous",
    nav: { label: "Create account", when: "anonymous", needs: "signup" },
  },
  { path: "/account/verify-email", component: VerifyEmailPage, access: "any" },
  { path: "/account/verify-email/:key", component: VerifyEmailKeyPage, access: "any" },
  { path: "/account/continue", component: ContinuePage, access: "any" },
  { path: "/account/2fa/authenticate", component: MFAAuthenticatePage, access: "anonymous" },
  { path: "/account/2fa/trust", component: MFATrustPage, access: "anonymous" },
  { path: "/account/reauthenticate", component: ReauthenticatePage, access: "any" },

  // Forgotten passwords.
  { path: "/account/password/reset", component: RequestResetPage, access: "any" },
  { path: "/account/password/reset/code", component: ResetByCodePage, access: "any" },
  { path: "/account/password/reset/key/:key", component: ResetByKeyPage, access: "any" },

  // The signed-in account.
  { path: "/account", component: HomePage, access: "authenticated", nav: { label: "Overview", when: "authenticated" } },
  { path: "/account/email", component: EmailsPage, access: "authenticated", nav: { label: "Email", when: "authenticated" } },
  {
    path: "/account/password/change",
    component: ChangePasswordPage,
    access: "authenticated",
    nav: { label: "Password", when: "authenticated" },
  },
  { path: "/account/sessions", component: SessionsPage, access: "authenticated", nav: { label: "Sessions", when: "authenticated" } },
  { path: "/account/2fa", component: TwoFactorPage, access: "authenticated" },
  { path: "/account/profile", component: ProfilePage, access: "authenticated", nav: { label: "Profile", when: "authenticated" } },
  { path: "/account/delete", component: DeleteAccountPage, access: "authenticated" },
  { path: "/account/logout", component: LogoutPage, access: "authenticated" },

  // Social login (pages/providers/).
  { path: "/account/provider/callback", component: ProviderCallbackPage, access: "any" },
  { path: "/account/provider/signup", component: ProviderSignupPage, access: "any" },
  {
    path: "/account/providers",
    component: ProvidersPage,
    access: "authenticated",
    nav: { label: "Connected accounts", when: "authenticated" },
  },

  // Admin pages (pages/admin/): staff only; the admin API answers others 403.
  {
    path: "/account/admin/users",
    component: AdminUsersPage,
    access: "authenticated",
    nav: { label: "Admin", when: "authenticated", needs: "staff" },
  },
  { path: "/account/admin/users/:id", component: AdminUserPage, access: "authenticated" },
  { path: "/account/admin/audit", component: AdminAuditPage, access: "authenticated" },
];
