// Rules of the device choice, with no DOM and no media: the lists of cameras, microphones and
// speakers as the person sees them, which one each select shows, which chosen device went away,
// the choice remembered for next time (device ids only), and the words of the notices.

/** @typedef {"videoinput" | "audioinput" | "audiooutput"} DeviceKind */
/** @typedef {{id: string, label: string}} DeviceOption */
/** @typedef {{videoinput: DeviceOption[], audioinput: DeviceOption[], audiooutput: DeviceOption[]}} DeviceLists */
/** @typedef {{videoinput: string, audioinput: string, audiooutput: string}} DeviceChoice  "" = the default */

/** @type {DeviceKind[]} */
export const KINDS = ["videoinput", "audioinput", "audiooutput"];
export const STORAGE_KEY = "tandem:devices";

import { t } from "../../ui/i18n.js";

/** @returns {DeviceChoice} */
export function emptyChoice() {
  return { videoinput: "", audioinput: "", audiooutput: "" };
}

/**
 * The lists from navigator.mediaDevices.enumerateDevices(). Before permission is given the
 * browser hides ids and labels: such entries are left out (nothing can be chosen by them).
 * Unlabelled devices are numbered ("Camera 2"), duplicates dropped.
 * @param {Iterable<{kind: string, deviceId: string, label: string}>} infos
 * @returns {DeviceLists}
 */
export function deviceLists(infos) {
  /** @type {DeviceLists} */
  const lists = { videoinput: [], audioinput: [], audiooutput: [] };
  for (const d of infos) {
    if (d.kind !== "videoinput" && d.kind !== "audioinput" && d.kind !== "audiooutput") continue;
    const list = lists[d.kind];
    if (!d.deviceId || list.some((o) => o.id === d.deviceId)) continue;
    list.push({ id: d.deviceId, label: d.label || t("devices.unnamed", { kind: d.kind, n: list.length + 1 }) });
  }
  return lists;
}

/**
 * The option a select shows: the device in use when it is listed, else the one chosen, else the
 * first (the browser's default comes first). "" when the list is empty.
 * @param {DeviceOption[]} list
 * @param {string} inUse
 * @param {string} chosen
 */
export function shownId(list, inUse, chosen) {
  if (inUse && list.some((o) => o.id === inUse)) return inUse;
  if (chosen && list.some((o) => o.id === chosen)) return chosen;
  return list.length ? list[0].id : "";
}

/**
 * After the list changed (a device plugged in or out): the kinds whose device in use is gone.
 * An empty `inUse` (nothing in use, or the default output) never counts as gone. Lists that are
 * empty say nothing (the browser did not tell us yet), so they never make a device "gone".
 * @param {DeviceLists} lists
 * @param {DeviceChoice} inUse
 * @returns {DeviceKind[]}
 */
export function lostDevices(lists, inUse) {
  return KINDS.filter((kind) => {
    const id = inUse[kind];
    const list = lists[kind];
    return !!id && id !== "default" && list.length > 0 && !list.some((o) => o.id === id);
  });
}

/**
 * The choice kept in localStorage: device ids only, nothing about the person.
 * @param {Pick<Storage, "getItem"> | null} storage
 * @returns {DeviceChoice}
 */
export function loadChoice(storage) {
  const choice = emptyChoice();
  let saved = null;
  try {
    saved = JSON.parse((storage && storage.getItem(STORAGE_KEY)) || "null");
  } catch (e) {
    saved = null; // unreadable or blocked storage: the defaults
  }
  if (!saved || typeof saved !== "object") return choice;
  for (const kind of KINDS) {
    const id = saved[kind];
    if (typeof id === "string" && id.length <= 256) choice[kind] = id;
  }
  return choice;
}

/**
 * Remember one choice (the others stay as they were).
 * @param {Pick<Storage, "getItem" | "setItem"> | null} storage
 * @param {DeviceKind} kind
 * @param {string} id
 * @returns {DeviceChoice}
 */
export function rememberChoice(storage, kind, id) {
  const choice = { ...loadChoice(storage), [kind]: id };
  try {
    if (storage) storage.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch (e) {
    /* private mode or full: the choice lasts for this page only */
  }
  return choice;
}

/** The media kind of a device kind. @param {"videoinput" | "audioinput"} kind @returns {"audio" | "video"} */
export function mediaKind(kind) {
  return kind === "videoinput" ? "video" : "audio";
}

/**
 * What the person is told when the device in use went away and another took its place.
 * @param {DeviceKind} kind
 * @param {string} nowLabel  the device used now ("" when none could be started)
 * @param {boolean} [isDefault]  the default device took its place (its name unknown)
 */
export function fallbackNotice(kind, nowLabel, isDefault = false) {
  if (isDefault) return t("devices.notice.now_default", { kind });
  if (!nowLabel) return t("devices.notice.none_left", { kind });
  return t("devices.notice.now_using", { kind, device: nowLabel });
}

/** The notice after a switch the person made. @param {DeviceKind} kind @param {string} label */
export function switchedNotice(kind, label) {
  return label ? t("devices.notice.switched", { kind, device: label }) : t("devices.notice.switched_unnamed", { kind });
}
