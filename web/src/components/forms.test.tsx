// @vitest-environment happy-dom
import { ApiError } from "@latchauth/client";
import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CodeField, Field, SubmitButton, useRetryCountdown } from "./forms";

afterEach(cleanup);

describe("Field", () => {
  it("shows and hides a password", async () => {
    render(<Field label="Password" name="password" type="password" />);
    const input = screen.getByLabelText("Password");
    expect(input.getAttribute("type")).toBe("password");
    await userEvent.click(screen.getByRole("button", { name: "Show password" }));
    expect(input.getAttribute("type")).toBe("text");
    expect(screen.getByRole("button", { name: "Hide password" }).getAttribute("aria-pressed")).toBe("true");
    await userEvent.click(screen.getByRole("button", { name: "Hide password" }));
    expect(input.getAttribute("type")).toBe("password");
  });

  it("has no toggle on other inputs, and wires errors to the input", () => {
    render(<Field label="Email" name="email" type="email" errors={["Enter a valid email address."]} />);
    expect(screen.queryByRole("button")).toBeNull();
    const input = screen.getByLabelText("Email");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    const described = document.getElementById(input.getAttribute("aria-describedby") ?? "");
    expect(described?.textContent).toBe("Enter a valid email address.");
  });
});

describe("CodeField", () => {
  it("names the lifetime it is given", () => {
    render(<CodeField lifetime={180} />);
    const input = screen.getByLabelText("Code");
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent).toContain("It works for 3 minutes.");
  });
});

function Countdown({ error }: { error: unknown }) {
  const left = useRetryCountdown(error);
  return (
    <SubmitButton pending={false} retryIn={left}>
      Sign in
    </SubmitButton>
  );
}

describe("useRetryCountdown", () => {
  it("disables the button until Retry-After has passed", () => {
    vi.useFakeTimers();
    try {
      const error = new ApiError({ status: 429, retryAfter: 3 });
      render(<Countdown error={error} />);
      const button = screen.getByRole("button");
      expect(button.textContent).toBe("Try again in 3s");
      expect((button as HTMLButtonElement).disabled).toBe(true);
      act(() => vi.advanceTimersByTime(3250));
      expect(button.textContent).toBe("Sign in");
      expect((button as HTMLButtonElement).disabled).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is 0 for errors without Retry-After", () => {
    render(<Countdown error={new ApiError({ status: 400 })} />);
    expect(screen.getByRole("button").textContent).toBe("Sign in");
  });
});
