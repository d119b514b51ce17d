// Inline SVG icons (decorative: every button also has a text label).
/** @param {string} body */
const svg = (body) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false">${body}</svg>`;

/** @type {Record<string, string>} */
export const ICONS = {
  mic: svg('<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10v1a7 7 0 0 0 14 0v-1"/><path d="M12 18v4"/>'),
  micOff: svg('<path d="M9 9v2a3 3 0 0 0 5.1 2.1"/><path d="M15 9.3V5a3 3 0 0 0-5.9-.7"/><path d="M19 10v1a7 7 0 0 1-1.2 3.9"/><path d="M5 10v1a7 7 0 0 0 11.5 5.4"/><path d="M12 18v4"/><path d="M3 3l18 18"/>'),
  cam: svg('<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-3v10l-6-3z"/>'),
  camOff: svg('<path d="M16 16v1a1 1 0 0 1-1 1H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h2"/><path d="M10 6h4a2 2 0 0 1 2 2v3l6-3v10"/><path d="M3 3l18 18"/>'),
  hand: svg('<path d="M18 11V6a2 2 0 0 0-4 0v5"/><path d="M14 10V4a2 2 0 0 0-4 0v6"/><path d="M10 10.5V6a2 2 0 0 0-4 0v8"/><path d="M18 8a2 2 0 0 1 4 0v6a8 8 0 0 1-8 8h-2a8 8 0 0 1-6-3l-3-4a2 2 0 0 1 3-2.6L6 14"/>'),
  board: svg('<rect x="3" y="4" width="18" height="13" rx="2"/><path d="M8 21l4-4 4 4"/><path d="M7 13l3-3 2 2 4-4"/>'),
  screen: svg('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8"/><path d="M12 17v4"/><path d="M9 10l3-3 3 3"/><path d="M12 7v6"/>'),
  screens: svg('<rect x="2" y="3" width="13" height="10" rx="2"/><rect x="9" y="9" width="13" height="10" rx="2"/>'),
  leave: svg('<path d="M10 17l5-5-5-5"/><path d="M15 12H3"/><path d="M14 3h5a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-5"/>'),
};

/** @param {HTMLElement} button @param {string} name */
export function setIcon(button, name) {
  const slot = /** @type {HTMLElement | null} */ (button.querySelector(".icon"));
  if (slot && slot.dataset.icon !== name) {
    slot.innerHTML = ICONS[name];
    slot.dataset.icon = name;
  }
}
