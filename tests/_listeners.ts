/**
 * Watches `signal`'s listeners: `size` is how many were added and not yet
 * removed, so a test can check that a sleep lets go of a long-lived signal.
 */
export function watchListeners(signal: AbortSignal): { readonly size: number } {
  const target: EventTarget = signal;
  const listening = new Set<unknown>();
  const add = target.addEventListener.bind(target);
  const remove = target.removeEventListener.bind(target);
  target.addEventListener = (type, listener, options) => {
    listening.add(listener);
    add(type, listener, options);
  };
  target.removeEventListener = (type, listener, options) => {
    listening.delete(listener);
    remove(type, listener, options);
  };
  return {
    get size() {
      return listening.size;
    },
  };
}
