/**
 * Coalesces calls into one `run` on the next turn of the event loop: every room change of this
 * turn (one `subscribe` joins many rooms; many clients subscribe at once) is one decision, and
 * so one request. Nothing runs once `closed()` says so.
 */
export function onNextTurn(run: () => void, closed: () => boolean): () => void {
  let pending = false;
  return () => {
    if (pending || closed()) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      run();
    });
  };
}
