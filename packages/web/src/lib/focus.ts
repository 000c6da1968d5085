/**
 * Focuses the element `find` returns once React has drawn it. A state update made
 * after an `await` is rendered by React's scheduler, which may run after the next
 * animation frame, so one frame is not enough: look again on each frame, for a while.
 */
export function focusWhenDrawn(find: () => HTMLElement | null | undefined, frames = 60): void {
  const attempt = (left: number) => {
    const element = find();
    if (element?.isConnected === true) {
      element.focus();
      return;
    }
    if (left > 0) requestAnimationFrame(() => attempt(left - 1));
  };
  requestAnimationFrame(() => attempt(frames));
}

/** Moves focus to the first field marked invalid inside `root`, after React has drawn it. */
export function focusFirstInvalid(root: HTMLElement | null): void {
  focusWhenDrawn(() => root?.querySelector<HTMLElement>('[aria-invalid="true"]'));
}
