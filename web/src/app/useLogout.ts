import { useMutation } from "@tanstack/react-query";
import { api, useFinishAuth } from "./latch";
import { forgetSignedIn } from "./signedOut";

/** Logs out; used by the nav's button and the logout page. */
export function useLogout() {
  const finish = useFinishAuth();
  return useMutation({
    mutationFn: () => {
      forgetSignedIn();
      return api.logout();
    },
    onSuccess: (state) => finish(state, { to: "/account/login", flash: "You have been signed out." }),
  });
}
