// The main window: the real session, as the broker reports it, and the account home —
// the user's devices, withdrawal limits (D2) and messages (T5) — or, on the Client
// Portal with a temporary passcode, the online security code card (T3).
//
// It checks the session every few seconds (reading it is not activity) and tells the
// broker the trader is active, at most every KEEPALIVE_EVERY_MS; a session the broker
// ended closes this window from the Rust side and the login window says why.
"use strict";

const $ = portcullis.byTestId;

const CHECK_EVERY_MS = 3000;
const KEEPALIVE_EVERY_MS = 15000;

// D2's rows, as the withdrawal-limit table names them: `limits.row.<row>` in
// i18n-main.js.

let lastSession = null;

function showSession(s) {
  lastSession = s;
  $("session-username").textContent = s.username;
  $("session-full-name").textContent = s.full_name || "—";
  $("session-account").textContent = s.account;
  if (s.device_id) i18n.text($("session-device"), "session.device_value", { device: () => format.device(s.device_kind, s.device_id) });
  else i18n.text($("session-device"), "session.no_device");
  $("session-logged-in-at").textContent = format.utc(s.logged_in_at);
  $("topbar-user").textContent = `${s.username} · ${s.account}`;
  const ends = $("session-expires");
  if (s.expires_at) {
    ends.dataset.expiresAt = s.expires_at;
    i18n.text(ends, "session.ends_value", {
      local: () => format.localTime(s.expires_at),
      utc: format.utc(s.expires_at, { seconds: false }),
    });
  } else {
    i18n.plain(ends, "—");
  }
  showLimits(s.limits);
  showMode(s);
  // The settings and the order ticket (security.js, trading.js) follow the session.
  document.dispatchEvent(new CustomEvent("portcullis-session", { detail: s }));
  const box = $("session-error");
  box.hidden = true;
  delete box.dataset.code;
}

function showProblem(err) {
  // session_expired / invalid_session: the Rust side is already closing this window.
  portcullis.showError($("session-error"), err);
}

// ---- What this session may see ----------------------------------------------------------

let modeShown = false;

// The Client Portal says so; a temporary passcode on it gets the online card (T3); a
// passcode past its second day gets only that (T2: limits, devices and messages are
// hidden; who is logged in, and until when, stays).
function showMode(s) {
  const portal = s.channel === "portal";
  const restricted = s.restriction === "online_card_only";
  $("portal-heading").hidden = !portal;
  $("restriction-note").hidden = !restricted;
  $("online-card").hidden = !(portal && s.device_kind === "temporary_passcode");
  for (const section of document.querySelectorAll(".account")) section.hidden = restricted;
  showGoTo();
  if (!modeShown && portal) $("portal-heading").focus();
  modeShown = true;
}

function isRestricted() {
  return Boolean(lastSession && lastSession.restriction === "online_card_only");
}

// ---- The account home: limits, devices, messages --------------------------------------

// "50,000 USD" ("50 000 USD"), or "Unlimited" for null (D2).
function amount(usd) {
  return usd === null || usd === undefined ? i18n.t("main.unlimited") : format.usd(usd);
}

// An amount, written again in the new language at a switch.
function showAmount(el, usd) {
  i18n.text(el, "main.amount", { value: () => amount(usd) });
}

function showLimits(limits) {
  if (!limits) return;
  const row = $("limits-row");
  row.dataset.row = limits.row;
  if (i18n.has(`limits.row.${limits.row}`)) i18n.text(row, `limits.row.${limits.row}`);
  else i18n.plain(row, limits.row);
  showAmount($("limits-per-day"), limits.per_day_usd);
  showAmount($("limits-per-5-days"), limits.per_5_business_days_usd);
}

function cell(row, text, tag = "td") {
  const c = document.createElement(tag);
  c.textContent = text;
  row.appendChild(c);
  return c;
}

function when(iso) {
  return iso ? format.when(iso) : "—";
}

function statusWord(status) {
  const key = `device.status.${status}`;
  if (i18n.locale() === "fr" && i18n.has(key)) return i18n.t(key);
  return status.charAt(0).toUpperCase() + status.slice(1);
}

// S6: the user's devices set aside while they share another user's device; they come
// back by cancelling the sharing, not by Reactivate.
function setAsideBySharing(sharings) {
  const mine = sharings.filter((s) => s.status === "approved" && lastSession && s.requester === lastSession.username);
  return new Set(mine.flatMap((s) => s.devices_set_aside));
}

function showDevices(devices, setAside = new Set()) {
  const body = $("account-devices").querySelector("tbody");
  // A keyboard user on a Reactivate button keeps their place across a redraw.
  const focused = body.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
  body.replaceChildren();
  for (const d of devices) {
    const row = document.createElement("tr");
    row.dataset.testid = `device-row-${d.id}`;
    row.dataset.status = d.status;
    row.dataset.kind = d.kind;
    const name = cell(row, d.id, "th");
    name.scope = "row";
    cell(row, format.deviceName(d.kind));
    cell(row, setAside.has(d.id) ? i18n.t("device.set_aside", { status: statusWord(d.status) }) : statusWord(d.status));
    cell(row, when(d.shipped_at));
    cell(row, when(d.auto_activates_at));
    cell(row, when(d.activated_at));
    cell(row, when(d.expires_at));
    if (reactivating()) {
      const action = cell(row, "");
      if (REACTIVATABLE_STATUS.includes(d.status) && REACTIVATABLE_KINDS.includes(d.kind) && !setAside.has(d.id)) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary small";
        button.dataset.testid = `device-reactivate-${d.id}`;
        button.textContent = i18n.t("reactivate.button");
        button.setAttribute("aria-label", i18n.t("reactivate.button_label", { device: format.device(d.kind, d.id) }));
        button.addEventListener("click", () => askReactivation(d));
        action.appendChild(button);
      }
    }
    body.appendChild(row);
  }
  if (focused && $(focused)) $(focused).focus();
  $("devices-action-column").hidden = !reactivating();
  $("reactivate-note").hidden =
    !devices.some((d) => REACTIVATABLE_STATUS.includes(d.status) && REACTIVATABLE_KINDS.includes(d.kind) && !setAside.has(d.id)) ||
    !reactivating();
}

// ---- Reactivating a device on the Client Portal (case 10, T4) -------------------------

// A device set aside (a temporary passcode was issued) or on its way (a replacement)
// comes back by answering what a login would ask it. IB Key comes back on the phone.
const REACTIVATABLE_STATUS = ["inactive", "shipped"];
const REACTIVATABLE_KINDS = ["dsc_plus", "dsc", "platinum", "gold", "security_code_card"];

function reactivating() {
  return Boolean(lastSession && lastSession.channel === "portal" && !isRestricted());
}

function showReactivateError(err) {
  portcullis.showError($("reactivate-error"), err);
}

// What is being asked, or null: the device, and the question the broker keeps for it.
let reactivating_ = null;

// Only the error shows (no question to answer), with "Ask again" when there is a device.
function reactivationStopped(device, err) {
  reactivating_ = device ? { device, asked: null } : null;
  $("reactivate-asked").hidden = true;
  $("reactivate-confirm").hidden = true;
  $("reactivate-again").hidden = !device;
  showReactivateError(err);
}

async function askReactivation(device) {
  showReactivateError(null);
  i18n.plain($("reactivate-done"), "");
  $("reactivate").hidden = false;
  $("reactivate-asked").hidden = true;
  $("reactivate-confirm").hidden = true;
  $("reactivate-again").hidden = true;
  i18n.text($("reactivate-text"), "reactivate.asking", { device: () => format.device(device.kind, device.id) });
  $("reactivate-heading").focus();
  let asked;
  try {
    asked = await portcullis.call("reactivate_ask", { deviceId: device.id });
  } catch (err) {
    i18n.plain($("reactivate-text"), "");
    reactivationStopped(null, err);
    return;
  }
  reactivating_ = { device, asked };
  const cardAnswer = asked.method === "index_card";
  i18n.text($("reactivate-text"), cardAnswer ? "reactivate.ask.card" : "reactivate.ask.challenge", {
    device: () => format.device(asked.device_kind, asked.device_id),
    duration: () => format.duration(asked.expires_in_seconds),
  });
  $("reactivate-challenge").parentElement.hidden = cardAnswer;
  $("reactivate-challenge").textContent = cardAnswer ? "" : asked.challenge;
  $("reactivate-indexes").hidden = !cardAnswer;
  $("reactivate-index-first").textContent = cardAnswer ? format.index(asked.indexes[0]) : "";
  $("reactivate-index-second").textContent = cardAnswer ? format.index(asked.indexes[1]) : "";
  i18n.text($("reactivate-label"), cardAnswer ? "share.codes_label" : "reactivate.response_label");
  $("reactivate-response").maxLength = cardAnswer ? 6 : 8;
  $("reactivate-response").value = "";
  $("reactivate-asked").hidden = false;
  $("reactivate-confirm").hidden = false;
  // The whole step in view (the question, the field and its button), then the field.
  $("reactivate").scrollIntoView({ block: "nearest" });
  $("reactivate-response").focus({ preventScroll: true });
}

async function confirmReactivation(event) {
  event.preventDefault();
  const mine = reactivating_;
  if (!mine || !mine.asked) return;
  showReactivateError(null);
  const input = $("reactivate-response");
  try {
    const device = await portcullis.call("reactivate_confirm", { response: input.value });
    $("reactivate").hidden = true;
    reactivating_ = null;
    const done = $("reactivate-done");
    i18n.text(done, "reactivate.done", { device: () => format.device(device.kind, device.id) });
    done.focus();
    shown.devices = null;
    check();
  } catch (err) {
    input.value = "";
    // A connection failure leaves the question standing; any answer spent it.
    if (portcullis.isConnectionError(err)) showReactivateError(err);
    else reactivationStopped(mine.device, err);
  }
}

function cancelReactivation() {
  reactivating_ = null;
  $("reactivate").hidden = true;
  showReactivateError(null);
  $("devices-heading").focus();
}

// New messages (a notice, Compliance's decision) are read out once, politely; the
// list itself is not a live region, so a redraw does not read it all again.
let messagesSeen = null;

function announceNew(messages) {
  const ids = new Set(messages.map((m) => m.id));
  if (messagesSeen) {
    const fresh = messages.filter((m) => !messagesSeen.has(m.id));
    if (fresh.length) $("messages-announce").textContent = i18n.t("messages.new", { text: () => messageText(fresh[0]) });
  }
  messagesSeen = ids;
}

// A message worded here from its fields, in the window's language (issue 10):
// `message.<kind>` in i18n-main.js. A kind this window does not know shows the
// broker's English `text` as it came.
function messageKey(m) {
  if (m.kind === "sharing_approved" && m.devices_set_aside && m.devices_set_aside.length) return "message.sharing_approved_set_aside";
  if (m.kind === "sharing_rejected" && m.reason) return "message.sharing_rejected_reason";
  return `message.${m.kind}`;
}

function messageParams(m) {
  return {
    device: () => format.deviceName(m.device_kind),
    id: m.device_id,
    date: () => format.when(m.activates_at),
    owner: m.owner || "",
    set_aside: (m.devices_set_aside || []).join(", "),
    reason: m.reason || "",
  };
}

function messageText(m) {
  return i18n.has(messageKey(m)) && m.device_kind ? i18n.t(messageKey(m), messageParams(m)) : m.text;
}

function showMessage(el, m) {
  if (i18n.has(messageKey(m)) && m.device_kind) i18n.text(el, messageKey(m), messageParams(m));
  else i18n.plain(el, m.text);
}

function showMessages(messages) {
  announceNew(messages);
  const list = $("messages-list");
  list.replaceChildren();
  for (const m of messages) {
    const item = document.createElement("li");
    item.dataset.testid = `message-${m.id}`;
    item.dataset.kind = m.kind;
    const text = document.createElement("p");
    showMessage(text, m);
    const posted = document.createElement("p");
    posted.className = "message-date";
    i18n.text(posted, "messages.posted", { time: () => format.when(m.at) });
    item.append(text, posted);
    list.appendChild(item);
  }
  list.hidden = messages.length === 0;
  $("messages-empty").hidden = messages.length > 0;
}

// Redrawn only when the answer changed, so a screen reader is not sent through the
// same table again every few seconds.
const shown = { devices: null, messages: null };

async function refreshAccount() {
  if (isRestricted()) return;
  const [devices, messages, sharings] = await Promise.all([
    portcullis.call("account_devices", {}, { background: true }),
    portcullis.call("account_messages", {}, { background: true }),
    portcullis.call("sharing_list", {}, { background: true }).catch(() => []),
  ]);
  const setAside = setAsideBySharing(sharings);
  const d = JSON.stringify([devices, [...setAside]]);
  if (d !== shown.devices) showDevices(devices, setAside);
  shown.devices = d;
  const m = JSON.stringify(messages);
  if (m !== shown.messages) showMessages(messages);
  shown.messages = m;
}

// One check at a time: an older answer never redraws over a newer one.
let checking = false;
async function check() {
  if (checking) return;
  checking = true;
  try {
    showSession(await portcullis.call("current_session", {}, { background: true }));
    await refreshAccount();
  } catch (err) {
    showProblem(err);
  } finally {
    checking = false;
  }
}

let lastKeepalive = 0;
async function active() {
  const now = Date.now();
  if (now - lastKeepalive < KEEPALIVE_EVERY_MS) return;
  lastKeepalive = now;
  try {
    showSession(await portcullis.call("session_keepalive", {}, { background: true }));
  } catch (err) {
    showProblem(err);
  }
}

// ---- The online security code card (T3) -----------------------------------------------
//
// One explicit state, changed only through `enterCard(next)`:
//   { name: "intro" }                     what the card is; "Get my online security code card"
//   { name: "card", offer }               the grid, print and save, the activation form
//   { name: "activated", offer, done }    active until done.expires_at
let card = { name: "intro" };

const CARD_PARTS = { intro: "online-card-intro", card: "online-card-view", activated: "online-card-done" };
const CARD_HEADINGS = {
  intro: "online-card-heading",
  card: "online-card-view-heading",
  activated: "online-card-done-heading",
};

function enterCard(next) {
  if (!(next.name in CARD_PARTS)) throw new Error(`no such card state: ${next.name}`);
  card = next;
  $("online-card-intro").hidden = next.name !== "intro";
  // The card stays in view once activated, to print or save it still.
  $("online-card-view").hidden = next.name === "intro";
  $("online-card-activate-form").hidden = next.name !== "card";
  $("online-card-done").hidden = next.name !== "activated";
  $(CARD_HEADINGS[next.name]).focus();
}

function showCardError(err) {
  portcullis.showError($("online-card-error"), err);
}

function clearCardError() {
  portcullis.showError($("online-card-error"), null);
}

function owner() {
  const s = lastSession;
  return s ? i18n.t("online.owner", { username: s.username, full_name: s.full_name, account: s.account }) : "";
}

// A real table: the column header is the index's units, the row header its tens.
function showGrid(offer) {
  const table = $("online-card-grid");
  i18n.text($("online-card-caption"), "online.caption", { id: offer.device_id });
  i18n.text($("online-card-owner"), "online.owner_line", { id: offer.device_id, owner });
  const head = document.createElement("tr");
  i18n.text(cell(head, "", "th"), "online.index");
  head.firstChild.scope = "col";
  for (let units = 0; units < 10; units += 1) cell(head, String(units), "th").scope = "col";
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (let tens = 0; tens < 100; tens += 10) {
    const row = document.createElement("tr");
    cell(row, String(tens).padStart(2, "0"), "th").scope = "row";
    for (let units = 0; units < 10; units += 1) {
      const index = String(tens + units).padStart(2, "0");
      cell(row, offer.grid[tens + units]).dataset.testid = `online-card-code-${index}`;
    }
    body.appendChild(row);
  }
}

function showIndexes(offer) {
  $("online-card-index-first").textContent = format.index(offer.indexes[0]);
  $("online-card-index-second").textContent = format.index(offer.indexes[1]);
}

async function getCard() {
  clearCardError();
  try {
    const offer = await portcullis.call("online_card_offer");
    showGrid(offer);
    showIndexes(offer);
    $("online-card-response").value = "";
    i18n.plain($("online-card-saved"), "");
    enterCard({ name: "card", offer });
  } catch (err) {
    showCardError(err);
  }
}

// The PNG: the card drawn on a canvas, black on white, as it is printed.
function drawCard(offer) {
  const cellW = 72;
  const cellH = 56;
  const left = 40;
  const top = 190;
  const canvas = document.createElement("canvas");
  canvas.width = left * 2 + cellW * 10;
  canvas.height = top + cellH * 10 + 40;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#000";
  g.font = "bold 28px sans-serif";
  g.fillText(i18n.t("online.png_title"), left, 60);
  g.font = "18px sans-serif";
  g.fillText(i18n.t("online.png_device", { id: offer.device_id }), left, 96);
  g.fillText(owner(), left, 124);
  g.font = "14px sans-serif";
  g.fillText(i18n.t("online.png_steps"), left, 156);
  g.strokeStyle = "#888";
  for (let i = 0; i < 100; i += 1) {
    const x = left + (i % 10) * cellW;
    const y = top + Math.floor(i / 10) * cellH;
    g.strokeRect(x, y, cellW, cellH);
    g.fillStyle = "#555";
    g.font = "12px sans-serif";
    g.fillText(String(i).padStart(2, "0"), x + 6, y + 18);
    g.fillStyle = "#000";
    g.font = "bold 22px monospace";
    g.fillText(offer.grid[i], x + 16, y + 44);
  }
  return canvas.toDataURL("image/png");
}

async function saveCard(kind) {
  clearCardError();
  const args = { format: kind };
  if (kind === "png") args.pngBase64 = drawCard(card.offer);
  try {
    const path = await portcullis.call("online_card_save", args);
    const saved = $("online-card-saved");
    saved.dataset.path = path;
    i18n.text(saved, "online.saved", { path });
  } catch (err) {
    showCardError(err);
  }
}

async function printCard() {
  clearCardError();
  await portcullis.call("online_card_print").catch(showCardError);
}

async function activateCard(event) {
  event.preventDefault();
  clearCardError();
  const mine = card;
  const input = $("online-card-response");
  try {
    const done = await portcullis.call("online_card_activate", { response: input.value });
    i18n.text($("online-card-activated"), "online.activated", {
      id: done.device_id,
      local: () => format.localTime(done.expires_at),
      utc: () => format.when(done.expires_at),
    });
    enterCard({ name: "activated", offer: mine.offer, done });
  } catch (err) {
    showCardError(err);
    input.value = "";
    input.focus();
    // A wrong answer draws fresh indexes on the broker; the same card comes back with them.
    if (err.code === "login_failed") {
      const offer = await portcullis.call("online_card_offer").catch(() => null);
      if (offer && card === mine) {
        mine.offer = offer;
        showIndexes(offer);
      }
    }
  }
}

// Kiosk mode: a visitor who walks away (no key or touch in any window for the set
// time) is warned, then logged out; the login window then resets the demo.
async function setUpKioskIdle() {
  const kiosk = await portcullis.call("kiosk_status", {}, { background: true }).catch(() => null);
  if (!kiosk || !kiosk.enabled) return;
  const after = kiosk.reset_after_seconds;
  const warnFor = Math.min(20, Math.floor(after / 2));
  const warning = $("kiosk-idle-warning");
  setInterval(async () => {
    const now = await portcullis.call("kiosk_status", {}, { background: true }).catch(() => null);
    if (!now || !now.enabled) return;
    const left = after - now.idle_seconds;
    if (left <= 0) {
      portcullis.call("logout").catch(() => {});
    } else if (left <= warnFor) {
      i18n.text(warning, "main.kiosk_warning", { left });
      warning.hidden = false;
    } else if (!warning.hidden) {
      warning.hidden = true;
      i18n.plain(warning, "");
    }
  }, 1000);
}

function setUpDevicesMenu() {
  menus.setUpAll();
  const open = { "menu-open-card": "open_card_window", "menu-open-phone": "open_phone_window", "menu-open-codecard": "open_codecard_window" };
  for (const [id, command] of Object.entries(open)) {
    $(id).addEventListener("click", () => portcullis.call(command).catch(showProblem));
  }
  // Go to: the part's heading scrolls to the top and takes focus, read out by name.
  for (const item of document.querySelectorAll("[data-heading]")) {
    item.addEventListener("click", () => {
      const heading = document.getElementById(item.dataset.heading);
      heading.scrollIntoView({ block: "start" });
      heading.focus();
    });
  }
}

// Go to lists only the parts this session shows.
function showGoTo() {
  for (const item of document.querySelectorAll("[data-heading]")) {
    const heading = document.getElementById(item.dataset.heading);
    item.hidden = !heading || Boolean(heading.closest("[hidden]"));
  }
}

window.addEventListener("DOMContentLoaded", () => {
  // The device table is drawn from data: drawn again in the new language.
  i18n.onChange(() => {
    shown.devices = null;
    refreshAccount().catch(() => {});
  });
  setUpDevicesMenu();
  $("logout-button").addEventListener("click", () => portcullis.call("logout"));
  $("online-card-get").addEventListener("click", getCard);
  $("online-card-print").addEventListener("click", printCard);
  $("online-card-save-pdf").addEventListener("click", () => saveCard("pdf"));
  $("online-card-save-png").addEventListener("click", () => saveCard("png"));
  $("online-card-activate-form").addEventListener("submit", activateCard);
  $("reactivate").addEventListener("submit", confirmReactivation);
  $("reactivate-cancel").addEventListener("click", cancelReactivation);
  $("reactivate-again").addEventListener("click", () => reactivating_ && askReactivation(reactivating_.device));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("reactivate").hidden) cancelReactivation();
  });
  for (const type of ["keydown", "pointerdown", "wheel"]) {
    document.addEventListener(type, active, { passive: true });
  }
  $("session-heading").focus();
  setUpKioskIdle();
  check();
  setInterval(check, CHECK_EVERY_MS);
});
