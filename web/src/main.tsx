import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiError } from "@latchauth/client";
import { App } from "./app/App";
import { handleGlobalError } from "./app/latch";
import "./styles.css";

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (error) => handleGlobalError(queryClient, error) }),
  mutationCache: new MutationCache({ onError: (error) => handleGlobalError(queryClient, error) }),
  defaultOptions: {
    queries: {
      // Client errors (4xx) will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      staleTime: 10_000,
    },
    mutations: { retry: false },
  },
});

const root = document.getElementById("root");
if (!root) throw new Error("no #root element");
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
