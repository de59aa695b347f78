import { Link } from "wouter";
import { Page } from "../../components/ui";

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p>There is nothing at this address.</p>
      <p>
        <Link href="/">Go to your account</Link>
      </p>
    </Page>
  );
}
