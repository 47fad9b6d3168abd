// The login window: password step, to the trading workstation or the Client Portal
// (T2), then the device choice (D6) and the second factor — a challenge to answer (C1,
// K3), a push to wait for (K2), an SMS code (D3), a security code card's two index
// numbers (D7, T3) or a temporary passcode (T1) — and the lost-device explanation.
//
// The screen is one explicit state machine (issue 7). `state` is always one of:
//   { name: "password" }                              user name and password
//   { name: "submitting", answered, attempt }         the password step sent, no answer yet
//   { name: "lost" }                                  what to do without the device
//   { name: "services" }                              Demo: Client Services (T1)
//   { name: "choosing", ticket }                      D6: pick a device
//   { name: "typing", ticket }                        C1, K3, D3: type a response
//   { name: "waiting", ticket, resends }              K2: the phone has been asked
//   { name: "interrupted", ticket, resends }          K2: the line dropped mid-wait
//   { name: "ended", ticket, resends }                K2, K6: expired, denied, refused
//   { name: "asking", ticket, resends, from }         Send again / fallback under way
//   { name: "authenticated" }                         the main window takes over
// It changes only through `enter(next)`, which shows the step's panel. Work that
// outlives a state (the push long poll, a request) goes on only while `state` is still
// the object it started from: a newer state always wins.
"use strict";

const $ = portcullis.byTestId;

// L6: shown with "Login failed".
const SECOND_FACTOR_HINTS = [
  "Temporary passcodes are upper case and case-sensitive.",
  "Security card and device responses have no spaces between characters.",
];
const SECOND_FACTOR_HINT_CODES = ["temporary_case", "no_spaces"];

const PANELS = ["login-form", "lost-device", "client-services", "device-choice", "push-wait", "second-factor"];
const PANEL_OF = {
  password: "login-form",
  submitting: "login-form",
  lost: "lost-device",
  services: "client-services",
  choosing: "device-choice",
  typing: "second-factor",
  waiting: "push-wait",
  interrupted: "push-wait",
  ended: "push-wait",
  asking: null, // stays on the screen it was asked from
  authenticated: null,
};
// States in which the login has a ticket to cancel.
const HAS_TICKET = ["choosing", "typing", "waiting", "interrupted", "ended", "asking"];

let state = { name: "password" };
// Each password step's number, which its Cancel names: unique across reloads.
let attempts = Date.now();

function enter(next) {
  if (!(next.name in PANEL_OF)) throw new Error(`no such login state: ${next.name}`);
  // Left before the login server answered (Cancel, Escape, another panel): the app
  // stops waiting for that answer and undoes it when it comes.
  if (state.name === "submitting" && !state.answered) {
    portcullis.call("cancel_password_step", { attempt: state.attempt }).catch(() => {});
  }
  state = next;
  const panel = PANEL_OF[next.name];
  if (panel) for (const p of PANELS) $(p).hidden = p !== panel;
  if (!["typing", "waiting", "interrupted", "asking"].includes(next.name)) stopTimer();
  showBusy(next.name === "submitting");
  return next;
}

// Issue 11: the password step under way shows so, and can be cancelled; the fields
// stay usable meanwhile.
function showBusy(on) {
  const was = !$("login-busy").hidden;
  // Focus on Login (it is clicked) would be lost as it turns disabled: Cancel takes it.
  const onLogin = [$("login-button"), document.body, null].includes(document.activeElement);
  $("login-busy").hidden = !on;
  $("login-cancel").hidden = !on;
  $("login-button").disabled = on;
  if (on && !was) {
    announce(i18n.t("login.busy"));
    if (onLogin) $("login-cancel").focus();
  }
  // Answered or left: "Logging in…" is no longer true (after its own frame, if pending).
  if (!on && was) announce("");
}

// ---- Messages ------------------------------------------------------------------------

function showError(testId, err) {
  const box = $(testId);
  box.dataset.code = err.code;
  const reason = err.details && err.details.reason;
  if (reason) box.dataset.reason = reason;
  else delete box.dataset.reason;
  box.replaceChildren(i18n.error(err));
  if (err.code === "login_failed") {
    const sent = err.details && err.details.hints;
    const hints = sent || SECOND_FACTOR_HINTS;
    const codes = sent ? err.details.hint_codes || [] : SECOND_FACTOR_HINT_CODES;
    const list = document.createElement("ul");
    list.dataset.testid = "login-failed-hints";
    for (const [i, h] of hints.entries()) {
      const li = document.createElement("li");
      li.dataset.hint = codes[i] || "";
      li.appendChild(i18n.hint(h, codes[i]));
      list.appendChild(li);
    }
    box.appendChild(list);
  }
  if (err.code === "bad_character") {
    hintLine(box, "bad-character-hint", "login.bad_character");
  }
  // T2: past day 2 a temporary passcode opens the Client Portal only; one click there.
  if (testId === "login-error") $("switch-to-portal-row").hidden = err.code !== "use_client_portal";
  const until = err.code === "locked" && err.details && err.details.locked_until;
  const local = until && format.localTime(until);
  if (local) hintLine(box, "lock-local-time", "login.lock_local_time", { time: () => format.localTime(until) });
  box.hidden = false;
}

function hintLine(box, testId, key, params) {
  const line = document.createElement("div");
  line.className = "hint-line";
  line.dataset.testid = testId;
  i18n.text(line, key, params);
  box.appendChild(line);
}

function clearError(testId) {
  if (testId === "login-error") $("switch-to-portal-row").hidden = true;
  const box = $(testId);
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.code;
  delete box.dataset.reason;
}

// Said by screen readers (a polite status region), not shown.
function announce(text) {
  const region = $("login-announce");
  region.textContent = "";
  // A new text node even when the words repeat, so it is read again.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

// ---- Time left -----------------------------------------------------------------------

// The push's or challenge's time left: shown every second, read out only as it passes
// one of these marks (seconds), so a screen reader is not talking every second.
const ANNOUNCE_AT = [120, 60, 30, 10];
let timer = null;

// `label` is the shown text's key ({clock}), `announce` the read-out's ({duration}).
function startTimer(testId, seconds, label, announce) {
  stopTimer();
  const t = { testId, label, announce, until: Date.now() + seconds * 1000, lastLeft: null };
  t.interval = setInterval(() => tick(t), 1000);
  timer = t;
  tick(t);
}

// The broker's newer word on the time left (its clock may have moved on).
function updateTimer(seconds) {
  if (!timer) return;
  timer.until = Date.now() + seconds * 1000;
  tick(timer);
}

function tick(t) {
  const left = Math.max(0, Math.round((t.until - Date.now()) / 1000));
  i18n.text($(t.testId), t.label, { clock: format.clock(left) });
  if (t.lastLeft !== null && left > 0) {
    const passed = ANNOUNCE_AT.filter((mark) => left <= mark && t.lastLeft > mark);
    if (passed.length) announce(i18n.t(t.announce, { duration: format.duration(left) }));
  }
  t.lastLeft = left;
}

function stopTimer() {
  if (timer) clearInterval(timer.interval);
  timer = null;
}

// ---- Transitions ---------------------------------------------------------------------

function toPassword() {
  enter({ name: "password" });
  $("password").value = "";
  $("login-button").disabled = false;
  ($("username").value ? $("password") : $("username")).focus();
}

/// Back to the password with the broker's message (the ticket is spent).
function restart(err) {
  toPassword();
  showError("login-error", err);
}

// Whatever the broker asks next, from a login, a device choice, Send again or the fallback.
function fromStep(step, resends = 0) {
  if (step.status === "cancelled") return enter({ name: "password" });
  if (step.status === "select_device") return toChoosing(step);
  if (step.status !== "second_factor") return enter({ name: "authenticated" }); // the main window opens
  if (step.method === "push") return toWaiting(step, resends);
  return toTyping(step);
}

// D6
function toChoosing(step) {
  enter({ name: "choosing", ticket: step.ticket });
  const select = $("device-select");
  select.textContent = "";
  for (const d of step.devices) {
    const option = document.createElement("option");
    option.value = d.id;
    i18n.text(option, "login.device_option", { name: () => format.deviceName(d.kind), id: d.id });
    option.selected = d.id === step.default_device_id;
    select.appendChild(option);
  }
  select.focus();
}

// What each typed second factor shows: the blocks and steps that explain it, what the
// field accepts; its texts are `typed.<method>.heading`, `.label`, `.limit` (the time
// limit) and `.announce` (its read-out) in i18n-login.js.
const TYPED = {
  challenge: {
    show: ["challenge-block"], maxLength: 8, inputMode: "numeric", describedBy: "challenge-code challenge-limit",
  },
  sms: {
    show: ["sms-sent-text"], maxLength: 8, inputMode: "numeric", describedBy: "sms-sent-text challenge-limit",
  },
  // D7, T3
  index_card: {
    show: ["index-block", "steps-index-card"], maxLength: 6, inputMode: "numeric",
    describedBy: "index-block challenge-limit",
  },
  // T1: upper case, case-sensitive (L6).
  temporary_passcode: {
    show: ["passcode-hint"], maxLength: 16, inputMode: "text", describedBy: "passcode-hint challenge-limit",
  },
};
const TYPED_BLOCKS = ["challenge-block", "sms-sent-text", "index-block", "steps-index-card", "passcode-hint", "steps-card", "steps-phone"];

// C1, K3, D3, D7, T1: something to type.
function toTyping(step) {
  enter({ name: "typing", ticket: step.ticket });
  const method = step.method in TYPED ? step.method : "challenge";
  const typed = TYPED[method];
  const shown = [...typed.show];
  // A challenge is answered on a card (DSC+, the legacy tokens) or on the phone (K3).
  if (step.method === "challenge") shown.push(step.device_kind === "ib_key" ? "steps-phone" : "steps-card");
  for (const id of TYPED_BLOCKS) $(id).hidden = !shown.includes(id);
  i18n.text($("second-factor-heading"), `typed.${method}.heading`);
  i18n.text($("response-label"), `typed.${method}.label`);
  $("challenge-code").textContent = step.method === "challenge" ? step.challenge : "";
  if (step.method === "sms") i18n.text($("sms-sent-text"), "login.sms_sent", { number: step.masked_number });
  else i18n.plain($("sms-sent-text"), "");
  const cardIndexes = step.method === "index_card" ? step.indexes.map(format.index) : ["", ""];
  $("index-first").textContent = cardIndexes[0];
  $("index-second").textContent = cardIndexes[1];
  i18n.text($("challenge-device"), "login.device", { device: () => format.device(step.device_kind, step.device_id) });
  i18n.text($("challenge-limit"), `typed.${method}.limit`, { duration: () => format.duration(step.expires_in_seconds) });
  const input = $("response-input");
  input.maxLength = typed.maxLength;
  input.inputMode = typed.inputMode;
  input.setAttribute("autocapitalize", step.method === "temporary_passcode" ? "characters" : "off");
  input.setAttribute("aria-describedby", typed.describedBy);
  clearError("second-factor-error");
  input.value = "";
  input.focus();
  startTimer("challenge-expiry", step.expires_in_seconds, "typed.expires", `typed.${method}.announce`);
}

// K2: wait for the phone; the login proceeds by itself.
function toWaiting(step, resends) {
  const waiting = enter({ name: "waiting", ticket: step.ticket, resends });
  i18n.text($("push-heading"), "push.heading");
  clearError("push-message");
  $("push-send-again").hidden = true;
  $("push-retry").hidden = true;
  $("push-instructions").hidden = false;
  $("push-number-block").hidden = step.number_match == null;
  $("push-number").textContent = step.number_match == null ? "" : String(step.number_match);
  i18n.text($("push-limit"), "push.limit", { duration: () => format.duration(step.expires_in_seconds) });
  startTimer("push-countdown", step.expires_in_seconds, "push.expires", "push.announce");
  $("push-heading").focus();
  waitForPhone(waiting);
}

async function waitForPhone(mine) {
  while (state === mine) {
    let outcome;
    try {
      outcome = await portcullis.call("wait_push", { ticket: mine.ticket }, { background: true });
    } catch (err) {
      if (state === mine) pushEnded(mine, err);
      return;
    }
    if (state !== mine) return;
    // An answer: whatever the line said before is old news.
    if (portcullis.isConnectionError({ code: $("push-message").dataset.code })) {
      clearError("push-message");
      $("push-retry").hidden = true;
    }
    if (outcome.status === "authenticated") return enter({ name: "authenticated" });
    if (outcome.status === "pending") updateTimer(outcome.expires_in_seconds);
  }
}

// The login server stopped answering during the wait: say so, offer Retry, and go on
// waiting by itself once the line is back (see renderStatus).
function toInterrupted(from, err) {
  const interrupted = enter({ name: "interrupted", ticket: from.ticket, resends: from.resends });
  // Said once per outage (an alert read again every retry would drown the screen reader).
  const box = $("push-message");
  if (box.hidden || box.dataset.code !== err.code) {
    showError("push-message", err);
    hintLine(box, "push-kept", "push.kept");
  }
  $("push-retry").hidden = false;
  // The line may look fine (a connection dropped between probes): try again shortly.
  if (linkStatus.state === "ready") setTimeout(() => resumePush(interrupted), 1000);
}

function resumePush(from = state) {
  if (state !== from || state.name !== "interrupted") return;
  const waiting = enter({ name: "waiting", ticket: from.ticket, resends: from.resends });
  $("push-retry").hidden = true;
  waitForPhone(waiting);
}

// Item 3, K6: the push is over without a login; the screen stops promising it
// (`push.ended.<code>`).
const PUSH_ENDED = ["push_expired", "push_denied", "login_failed"];

async function pushEnded(from, err) {
  if (portcullis.isConnectionError(err)) return toInterrupted(from, err);
  if (!PUSH_ENDED.includes(err.code)) return restart(err);
  const ended = enter({ name: "ended", ticket: from.ticket, resends: from.resends });
  i18n.plain($("push-countdown"), "");
  $("push-instructions").hidden = true;
  $("push-number-block").hidden = true;
  i18n.text($("push-heading"), `push.ended.${err.code}`);
  const settings = await portcullis.call("get_settings").catch(() => ({ auto_resend: false }));
  if (state !== ended) return;
  if (err.code === "push_expired" && settings.auto_resend && ended.resends < settings.auto_resend_max) {
    ended.resends += 1;
    return sendAgain();
  }
  showError("push-message", err);
  $("push-send-again").hidden = false;
  $("push-send-again").focus();
}

// Asks the broker something about the current ticket (Send again, the fallback); a
// connection failure leaves the login where it was, with the error shown.
async function ask(command) {
  if (!HAS_TICKET.includes(state.name) || state.name === "asking") return;
  const from = state;
  const asking = enter({ name: "asking", ticket: from.ticket, resends: from.resends, from });
  try {
    const step = await portcullis.call(command, { ticket: asking.ticket });
    if (state === asking) fromStep(step, asking.resends);
  } catch (err) {
    if (state !== asking) return;
    if (!portcullis.isConnectionError(err)) return restart(err);
    // The login server did not answer: the ticket may well be alive; stay here.
    if (from.name === "waiting" || from.name === "interrupted") return toInterrupted(from, err);
    enter(from);
    showError("push-message", err);
  }
}

function sendAgain() {
  return ask("push_resend");
}

function fallBack() {
  return ask("push_fallback");
}

// ---- Trading or Client Portal (T2), and the lost device ------------------------------

function channel() {
  return $("channel-portal").checked ? "portal" : "trading";
}

function showChannel() {
  i18n.text($("login-heading"), channel() === "portal" ? "login.heading_portal" : "login.heading");
}

// T2: a trading login refused past day 2 of a temporary passcode; the user name stays.
function switchToPortal() {
  $("channel-portal").checked = true;
  showChannel();
  clearError("login-error");
  toPassword();
}

// Cases 4–10 of the troubleshooting article.
function toLost() {
  enter({ name: "lost" });
  $("lost-heading").focus();
}

function lostToPortal() {
  $("channel-portal").checked = true;
  showChannel();
  toPassword();
}

// ---- Demo: Client Services on the telephone (T1) --------------------------------------

function toClientServices() {
  if (HAS_TICKET.includes(state.name)) cancelLogin();
  enter({ name: "services" });
  forgetPasscode();
  $("cs-username").value = $("username").value;
  $("cs-heading").focus();
}

// Shown once: gone from the page as soon as the panel is left.
function forgetPasscode() {
  clearError("cs-error");
  $("cs-issued").hidden = true;
  $("cs-passcode").textContent = "";
  i18n.plain($("cs-validity"), "");
}

async function issuePasscode(event) {
  event.preventDefault();
  if (state.name !== "services" || $("cs-issue").disabled) return;
  const mine = state;
  forgetPasscode();
  $("cs-issue").disabled = true;
  try {
    const issued = await portcullis.call("demo_temp_passcode", { username: $("cs-username").value });
    if (state !== mine) return;
    $("cs-passcode").textContent = issued.passcode;
    i18n.text($("cs-validity"), "cs.validity", {
      username: issued.username,
      full: format.utc(issued.full_access_until, { seconds: false }),
      portal: format.utc(issued.portal_until, { seconds: false }),
    });
    $("cs-issued").hidden = false;
    $("cs-passcode").focus();
  } catch (err) {
    if (state === mine) showError("cs-error", err);
  } finally {
    $("cs-issue").disabled = false;
  }
}

// ---- What the trader does ------------------------------------------------------------

async function submitPassword(event) {
  event.preventDefault();
  clearError("login-error");
  $("session-ended").hidden = true;
  const username = $("username").value;
  const password = $("password").value;
  if (!username || !password) {
    showError("login-error", { code: "missing_field", key: "login.missing_credentials", message: i18n.t("login.missing_credentials") });
    return;
  }
  // The trader may cancel, or open another panel meanwhile (the lost-device path, the
  // Demo menu): a late answer then changes nothing (the app undoes it).
  const mine = enter({ name: "submitting", answered: false, attempt: ++attempts });
  try {
    const remember = $("remember-username").checked;
    portcullis.call("remember_username", { username: remember ? username : null }).catch(() => {});
    const step = await portcullis.call("login", { username, password, channel: channel(), attempt: mine.attempt });
    mine.answered = true;
    if (state === mine) fromStep(step);
    // Left meanwhile, and the app had the answer before it heard the Cancel: the
    // login it started ends here.
    else if (step && step.ticket) portcullis.call("cancel_login", { ticket: step.ticket }).catch(() => {});
  } catch (err) {
    mine.answered = true;
    if (state !== mine) return;
    enter({ name: "password" });
    showError("login-error", err);
    $("password").value = "";
    $("password").focus();
  }
}

// Cancel (or Escape) while the login server has not answered the password step: the
// form is the trader's again at once; what was typed stays.
function cancelPasswordStep() {
  if (state.name !== "submitting") return;
  enter({ name: "password" });
  announce(i18n.t("login.cancelled"));
  $("password").focus();
}

async function chooseDevice(event) {
  event.preventDefault();
  if (state.name !== "choosing") return;
  const choosing = state;
  try {
    const step = await portcullis.call("choose_device", { ticket: choosing.ticket, deviceId: $("device-select").value });
    if (state === choosing) fromStep(step);
  } catch (err) {
    if (state === choosing) restart(err);
  }
}

async function submitResponse(event) {
  event.preventDefault();
  if (state.name !== "typing") return;
  const typing = state;
  $("response-ok").disabled = true;
  try {
    await portcullis.call("submit_response", { ticket: typing.ticket, response: $("response-input").value });
    if (state === typing) enter({ name: "authenticated" });
  } catch (err) {
    // C4: the challenge is spent whatever the outcome; the next try starts over.
    if (state === typing) restart(err);
  } finally {
    $("response-ok").disabled = false;
  }
}

async function cancelLogin() {
  if (!HAS_TICKET.includes(state.name)) return;
  const ticket = state.ticket;
  toPassword();
  await portcullis.call("cancel_login", { ticket }).catch(() => {});
}

// L1: a hint, not a block; described on its field only while it shows.
function updateHints(event) {
  setHint("username", "username-case-hint", /[A-Z]/.test($("username").value));
  if (event && typeof event.getModifierState === "function") {
    setHint("password", "caps-lock-hint", event.getModifierState("CapsLock"));
  }
}

function setHint(fieldId, hintId, on) {
  $(hintId).hidden = !on;
  if (on) $(fieldId).setAttribute("aria-describedby", hintId);
  else $(fieldId).removeAttribute("aria-describedby");
}

// ---- The line to the login server ----------------------------------------------------

// As the app's supervisor reports it (`broker-status` events), shown as "slow" too
// while a request of this window has waited long.
let linkStatus = { state: "starting" };
let requestSlow = false;

// Each state's text: its key and params (`status.*` in i18n-login.js). The supervisor's
// message is English; in French, the text for its code where there is one.
const STATUS_TEXT = {
  starting: () => ["status.starting"],
  ready: (s) => [s.bundled ? "status.ready_bundled" : "status.ready"],
  slow: () => ["status.slow"],
  reconnecting: (s) => ["status.reconnecting", { message: () => i18n.message(s), seconds: s.retry_in_seconds }],
  failed: (s) => ["status.failed", { message: () => i18n.message(s) }],
};

function renderStatus() {
  const line = $("broker-status");
  const shown = linkStatus.state === "ready" && requestSlow ? "slow" : linkStatus.state;
  const wasDown = line.dataset.state === "reconnecting" || line.dataset.state === "failed";
  line.classList.remove("ready", "failed", "slow", "reconnecting", "starting");
  line.classList.add(shown);
  line.dataset.state = shown;
  i18n.text($("broker-status-text"), ...(STATUS_TEXT[shown] || STATUS_TEXT.starting)(linkStatus));
  $("broker-retry").hidden = !(shown === "reconnecting" || shown === "failed");
  if (linkStatus.state === "ready") {
    // Back: errors about the line are stale now, and a push wait goes on by itself.
    for (const id of ["login-error", "second-factor-error", "push-message"]) {
      if (portcullis.isConnectionError({ code: $(id).dataset.code })) clearError(id);
    }
    if (wasDown || state.name === "interrupted") resumePush();
  }
}

async function watchBroker() {
  await portcullis.listen("broker-status", (e) => {
    linkStatus = e.payload;
    renderStatus();
  });
  document.addEventListener("portcullis-slow", (e) => {
    requestSlow = e.detail;
    renderStatus();
  });
  linkStatus = await portcullis
    .call("broker_status", {}, { background: true })
    .catch((e) => ({ state: "failed", message: e.message, code: e.code }));
  renderStatus();
}

// ---- Menus, settings, the session's end ----------------------------------------------

function setUpMenuItems() {
  $("menu-reset-demo").addEventListener("click", () => resetDemo());
  $("menu-open-card").addEventListener("click", () => {
    portcullis.call("open_card_window").catch((err) => showError("login-error", err));
  });
  $("menu-open-codecard").addEventListener("click", () => {
    portcullis.call("open_codecard_window").catch((err) => showError("login-error", err));
  });
  $("menu-open-phone").addEventListener("click", () => {
    portcullis.call("open_phone_window").catch((err) => showError("login-error", err));
  });
}

// Reset demo (the Demo menu, kiosk mode's button): every user, lock, the clock and
// the simulators back to the start.
async function resetDemo() {
  const notice = $("demo-notice");
  try {
    afterReset(await portcullis.call("demo_reset"));
  } catch (err) {
    notice.replaceChildren(i18n.error(err));
    notice.dataset.code = err.code;
    notice.hidden = false;
  }
  $("username").focus();
}

function afterReset(done) {
  forgetPasscode();
  if (state.name !== "password") toPassword();
  clearError("login-error");
  $("username").value = "";
  const notice = $("demo-notice");
  i18n.text(notice, "demo.reset_done");
  notice.dataset.code = "demo_reset";
  notice.hidden = false;
  const line = $("kiosk-reset-done");
  line.dataset.ms = String(done.elapsed_ms);
  line.dataset.resets = String(done.resets);
  i18n.text(line, "demo.reset_took", { resets: done.resets, ms: done.elapsed_ms });
  showPhoneLan();
}

// Kiosk mode (--kiosk, or Demo → Kiosk mode): once the booth has been idle for the set
// time (no key or touch in any window) and no one is logged in, the demo resets — if a
// visitor was there. Leave kiosk mode gives the windows their frames back.
let kioskTimer = null;

async function showKiosk() {
  const kiosk = await portcullis.call("kiosk_status", {}, { background: true }).catch(() => null);
  const on = Boolean(kiosk && kiosk.enabled);
  document.body.classList.toggle("kiosk", on);
  $("kiosk-bar").hidden = !on;
  $("menu-kiosk").hidden = on;
  clearInterval(kioskTimer);
  kioskTimer = null;
  if (!on) return;
  i18n.text($("kiosk-note"), "kiosk.note", { seconds: kiosk.reset_after_seconds });
  let checking = false;
  kioskTimer = setInterval(async () => {
    if (checking) return;
    checking = true;
    const touched = $("username").value !== "" || state.name !== "password";
    const done = await portcullis.call("kiosk_idle_reset", { touched }, { background: true }).catch(() => null);
    if (done) {
      afterReset(done);
      $("username").focus();
    }
    checking = false;
  }, 1000);
}

function setUpKiosk() {
  $("kiosk-reset").addEventListener("click", () => resetDemo());
  $("menu-kiosk").addEventListener("click", () => portcullis.call("kiosk_enter").catch(() => {}));
  $("kiosk-leave").addEventListener("click", () => portcullis.call("kiosk_leave").catch(() => {}));
  portcullis.listen("kiosk-changed", async () => {
    await showKiosk();
    $(document.body.classList.contains("kiosk") ? "kiosk-reset" : "username").focus();
  });
  showKiosk();
}

// A visitor's own phone (--phone-lan): the QR code while a phone may pair, or that
// one is paired (Reset demo pairs the next). Asked again every two seconds, and at
// once after a reset.
let phoneLanShown = null;
async function showPhoneLan() {
  const lan = await portcullis.call("phone_lan_status", {}, { background: true }).catch(() => null);
  if (!lan || lan.state === "off") return false;
  const panel = $("phone-lan-panel");
  panel.hidden = false;
  const state = $("phone-lan-state");
  const url = $("phone-lan-url");
  const qr = $("phone-lan-qr");
  const key = `${lan.state} ${lan.url || ""}`;
  if (key === phoneLanShown) return true;
  phoneLanShown = key;
  state.dataset.state = lan.state;
  if (lan.state === "failed") {
    const message = (lan.error && lan.error.message) || "";
    state.dataset.code = (lan.error && lan.error.code) || "phone_lan_failed";
    i18n.text(state, "phone_lan.failed", { message });
  } else {
    delete state.dataset.code;
    i18n.text(state, `phone_lan.${lan.state}`);
  }
  const waiting = lan.state === "waiting" && lan.url;
  url.hidden = !waiting;
  url.textContent = waiting ? lan.url : "";
  qr.hidden = !(waiting && lan.qr_svg);
  if (waiting && lan.qr_svg) qr.src = lan.qr_svg;
  else qr.removeAttribute("src");
  return true;
}

// Asked every two seconds until the app says the listener is off (a first answer
// lost while the app starts does not leave the panel hidden).
async function setUpPhoneLan() {
  const timer = setInterval(async () => {
    const lan = await portcullis.call("phone_lan_status", {}, { background: true }).catch(() => null);
    if (lan && lan.state === "off") clearInterval(timer);
    else showPhoneLan();
  }, 2000);
  showPhoneLan();
}

async function setUpAutoResend() {
  const settings = await portcullis.call("get_settings").catch(() => null);
  if (!settings) return;
  $("auto-resend").checked = settings.auto_resend;
  $("auto-resend-max").value = settings.auto_resend_max;
  const save = () => {
    const max = Math.min(10, Math.max(1, Number($("auto-resend-max").value) || 3));
    portcullis.call("set_settings", { values: { auto_resend: $("auto-resend").checked, auto_resend_max: max } }).catch(() => {});
  };
  $("auto-resend").addEventListener("change", save);
  $("auto-resend-max").addEventListener("change", save);
}

// Item 5: the last session ended by itself (idle, daily end); say why, once.
async function showSessionEnd() {
  const end = await portcullis.call("take_session_end", {}, { background: true }).catch(() => null);
  const box = $("session-ended");
  if (!end) {
    box.hidden = true;
    return;
  }
  box.dataset.reason = end.reason;
  // The app's English, or the French for the session's end (`error.session_expired.*`).
  box.replaceChildren(i18n.error({ code: "session_expired", message: end.message, details: { reason: end.reason } }));
  box.hidden = false;
}

window.addEventListener("DOMContentLoaded", async () => {
  menus.setUpAll();
  showChannel();
  setUpMenuItems();
  setUpAutoResend();
  setUpKiosk();
  setUpPhoneLan();
  $("login-form").addEventListener("submit", submitPassword);
  $("device-choice").addEventListener("submit", chooseDevice);
  $("device-cancel").addEventListener("click", cancelLogin);
  $("second-factor").addEventListener("submit", submitResponse);
  $("response-cancel").addEventListener("click", cancelLogin);
  $("push-cancel").addEventListener("click", cancelLogin);
  $("login-cancel").addEventListener("click", cancelPasswordStep);
  $("push-send-again").addEventListener("click", () => {
    if (state.name === "ended") state.resends = 0;
    sendAgain();
  });
  $("push-fallback-link").addEventListener("click", fallBack);
  for (const id of ["channel-trading", "channel-portal"]) $(id).addEventListener("change", showChannel);
  $("switch-to-portal").addEventListener("click", switchToPortal);
  $("lost-device-link").addEventListener("click", toLost);
  $("lost-to-portal").addEventListener("click", lostToPortal);
  $("lost-back").addEventListener("click", toPassword);
  $("menu-client-services").addEventListener("click", toClientServices);
  $("client-services").addEventListener("submit", issuePasscode);
  $("cs-back").addEventListener("click", () => {
    forgetPasscode();
    toPassword();
  });
  $("broker-retry").addEventListener("click", () => portcullis.call("broker_retry"));
  $("push-retry").addEventListener("click", async () => {
    await portcullis.call("broker_retry").catch(() => {});
    resumePush();
  });
  $("username").addEventListener("input", updateHints);
  for (const type of ["keydown", "keyup"]) document.addEventListener(type, updateHints);
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (HAS_TICKET.includes(state.name)) cancelLogin();
    else if (state.name === "submitting") cancelPasswordStep();
    else if (state.name === "lost" || state.name === "services") {
      forgetPasscode();
      toPassword();
    }
    else clearError("login-error");
  });

  watchBroker();
  showSessionEnd();
  const remembered = await portcullis.call("remembered_username").catch(() => null);
  if (remembered) {
    $("username").value = remembered;
    $("remember-username").checked = true;
    $("password").focus();
  } else {
    $("username").focus();
  }
  updateHints();
});
