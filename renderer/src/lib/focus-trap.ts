/**
 * Keeps Tab inside a modal dialog: from the last focusable element Tab goes to the first, from the
 * first Shift+Tab goes to the last. Call it from the dialog's keydown handler.
 */
const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

export function focusablesIn(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => {
    if (element.closest('[inert]')) return false;
    if (!(element instanceof HTMLInputElement)) return true;
    if (element.type === 'hidden') return false;
    // Tab lands on a radio group's checked button only.
    if (element.type === 'radio' && !element.checked && element.name) return ![...container.querySelectorAll<HTMLInputElement>('input[type="radio"]')].some((radio) => radio.name === element.name && radio.checked);
    return true;
  });
}

export function trapTab(event: KeyboardEvent, container: HTMLElement): void {
  if (event.key !== 'Tab') return;
  const focusables = focusablesIn(container);
  if (focusables.length === 0) {
    event.preventDefault();
    return;
  }
  const first = focusables[0]!;
  const last = focusables[focusables.length - 1]!;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !container.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !container.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}
