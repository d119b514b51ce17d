// Display preferences (pure): high contrast and reduced motion, each "auto" (follow the device's
// setting: prefers-contrast: more, prefers-reduced-motion: reduce), "on" or "off". Kept in
// localStorage as JSON; anything unreadable there counts as "auto".

export const STORAGE_KEY = "tandem:display";

/** @typedef {"auto" | "on" | "off"} Choice */
/** @typedef {{contrast: Choice, motion: Choice}} DisplayPrefs */

/** @type {readonly Choice[]} */
const CHOICES = ["auto", "on", "off"];

/** @param {string | null} raw  what localStorage holds @returns {DisplayPrefs} */
export function parsePrefs(raw) {
  /** @type {any} */
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = null;
  }
  /** @param {unknown} v @returns {Choice} */
  const choice = (v) => (CHOICES.includes(/** @type {Choice} */ (v)) ? /** @type {Choice} */ (v) : "auto");
  return { contrast: choice(data && data.contrast), motion: choice(data && data.motion) };
}

/** @param {DisplayPrefs} prefs */
export function serialisePrefs(prefs) {
  return JSON.stringify({ contrast: prefs.contrast, motion: prefs.motion });
}

/**
 * What the page shows: high contrast and reduced motion on or off, from the choices and the
 * device's settings.
 * @param {DisplayPrefs} prefs
 * @param {{moreContrast: boolean, reduceMotion: boolean}} device
 */
export function effective(prefs, device) {
  return {
    contrast: prefs.contrast === "auto" ? device.moreContrast : prefs.contrast === "on",
    motion: prefs.motion === "auto" ? device.reduceMotion : prefs.motion === "on",
  };
}

/**
 * The choices after the person ticks or unticks a box: an explicit on or off, or back to "auto"
 * when that is what the device asks anyway.
 * @param {DisplayPrefs} prefs
 * @param {"contrast" | "motion"} which
 * @param {boolean} on
 * @param {boolean} deviceSays
 * @returns {DisplayPrefs}
 */
export function choose(prefs, which, on, deviceSays) {
  return { ...prefs, [which]: on === deviceSays ? "auto" : on ? "on" : "off" };
}
