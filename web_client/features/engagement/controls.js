// The call's engagement buttons: "Raise hand", "React" (a menu of reactions), "Participation",
// and on narrow screens "More" holding the three.

import { el } from "../../ui/dom.js";
import { ICONS } from "../../ui/icons.js";
import { t } from "../../ui/i18n.js";
import { REACTIONS, words } from "./state.js";

// Icons as inline SVG (fonts without emoji show boxes); decorative, every button has a label.
/** @param {string} body */
const svg = (body) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false">${body}</svg>`;
const GLYPHS = {
  hand: ICONS.hand,
  smile: svg('<circle cx="12" cy="12" r="10"/><path d="M8 14s1.5 2 4 2 4-2 4-2"/><path d="M9 9h.01"/><path d="M15 9h.01"/>'),
  chart: svg('<path d="M3 3v18h18"/><path d="M8 17v-5"/><path d="M13 17V8"/><path d="M18 17v-8"/>'),
  more: svg('<circle cx="5" cy="12" r="1.5"/><circle cx="12" cy="12" r="1.5"/><circle cx="19" cy="12" r="1.5"/>'),
};

/** @param {string} id @param {keyof GLYPHS} glyph @param {string} label @param {string} [extraClass] */
function controlButton(id, glyph, label, extraClass = "control-engage") {
  const b = el("button", { type: "button", id, class: `control ${extraClass}` });
  const icon = el("span", { class: "icon", "aria-hidden": "true" });
  icon.innerHTML = GLYPHS[glyph];
  b.append(icon, el("span", { class: "control-label" }, label));
  return b;
}

/**
 * @param {object} actions
 * @param {() => void} actions.toggleHand
 * @param {(reaction: string) => void} actions.react
 * @param {() => void} actions.toggleOverview
 */
export function createControls({ toggleHand, react, toggleOverview }) {
  const handButton = controlButton("ctl-hand", "hand", t("engagement.hand.raise"));
  handButton.setAttribute("aria-pressed", "false");
  const reactButton = controlButton("ctl-react", "smile", t("engagement.react"));
  reactButton.setAttribute("aria-expanded", "false");
  reactButton.setAttribute("aria-controls", "reaction-menu");
  const overviewButton = controlButton("ctl-participation", "chart", t("engagement.participation.button"));
  overviewButton.setAttribute("aria-expanded", "false");
  overviewButton.setAttribute("aria-controls", "participation-panel");
  // On narrow screens the three collapse into "More", so the call controls fit on a phone.
  const moreButton = controlButton("ctl-more", "more", t("engagement.more"), "control-more");
  moreButton.setAttribute("aria-expanded", "false");
  moreButton.setAttribute("aria-controls", "engage-more-menu");
  const moreMenu = el("div", { id: "engage-more-menu", class: "engage-more-menu", role: "group", "aria-label": t("engagement.more_actions"), hidden: true });
  const moreHand = el("button", { type: "button", class: "engage-more-item" }, t("engagement.hand.raise"));
  const moreReact = el("button", { type: "button", class: "engage-more-item" }, t("engagement.react"));
  const moreOverview = el("button", { type: "button", class: "engage-more-item" }, t("engagement.participation.button"));
  moreMenu.append(moreHand, moreReact, moreOverview);
  const menu = el("div", { id: "reaction-menu", class: "reaction-menu", role: "group", "aria-label": t("engagement.reactions"), hidden: true });

  function closeMore() {
    moreMenu.hidden = true;
    moreButton.setAttribute("aria-expanded", "false");
  }
  // Where the reactions were opened from (the React button, "More", or anywhere by the shortcut):
  // the focus goes back there when a reaction is chosen or Escape closes the menu.
  /** @type {Element | null} */
  let menuOpener = null;
  function focusMenuOpener() {
    /** @param {Element | null} e */
    const shown = (e) => !!e && e.isConnected && e.getClientRects().length > 0;
    const back = [menuOpener, reactButton, moreButton].find(shown);
    menuOpener = null;
    if (back instanceof HTMLElement) back.focus();
  }
  function closeMenu() {
    menu.hidden = true;
    reactButton.setAttribute("aria-expanded", "false");
  }
  moreButton.addEventListener("click", () => {
    const open = moreMenu.hidden;
    moreMenu.hidden = !open;
    moreButton.setAttribute("aria-expanded", String(open));
    if (open) moreHand.focus();
  });
  moreMenu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeMore();
      moreButton.focus();
    }
  });
  for (const [item, target] of /** @type {const} */ ([[moreHand, handButton], [moreReact, reactButton], [moreOverview, overviewButton]])) {
    item.addEventListener("click", () => {
      closeMore();
      target.click();
    });
  }
  for (const [id, emoji, ref] of REACTIONS) {
    const label = words(ref);
    const b = el("button", { type: "button", class: "reaction-choice", "data-reaction": id, "aria-label": label, title: label }, emoji);
    b.addEventListener("click", () => {
      closeMenu();
      focusMenuOpener();
      react(id);
    });
    menu.append(b);
  }
  handButton.addEventListener("click", () => toggleHand());
  reactButton.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    reactButton.setAttribute("aria-expanded", String(open));
    const first = menu.querySelector("button");
    if (open) menuOpener = document.activeElement;
    if (open && first) first.focus();
  });
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeMenu();
      focusMenuOpener();
    }
  });
  overviewButton.addEventListener("click", () => toggleOverview());

  /** Put the buttons before "Leave" and the menus on the call screen. */
  function mount() {
    const controls = document.querySelector("#screen-call .controls");
    const screen = document.getElementById("screen-call");
    const leave = document.getElementById("ctl-leave");
    if (!controls || !screen) return;
    for (const b of [handButton, reactButton, overviewButton, moreButton]) {
      if (leave && leave.parentElement === controls) controls.insertBefore(b, leave);
      else controls.append(b);
    }
    screen.append(menu, moreMenu);
  }

  return {
    mount,
    overviewButton,
    // For the keyboard shortcuts: the same as pressing "Raise hand" and "React".
    toggleHand: () => handButton.click(),
    openReactions() {
      if (menu.hidden) reactButton.click();
    },
    /** @param {boolean} raised */
    showHand(raised) {
      handButton.setAttribute("aria-pressed", String(raised));
      /** @type {HTMLElement} */ (handButton.querySelector(".control-label")).textContent = raised ? t("engagement.hand.lower") : t("engagement.hand.raise");
      moreHand.textContent = raised ? t("engagement.hand.lower") : t("engagement.hand.raise");
    },
    /** @param {boolean} expanded */
    showOverviewOpen(expanded) {
      overviewButton.setAttribute("aria-expanded", String(expanded));
    },
    closeMenus() {
      closeMenu();
      closeMore();
    },
  };
}
