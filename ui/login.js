// The login window: password step, then the device choice (D6) and the second factor —
// a challenge to answer (C1, K3), a push to wait for (K2), or an SMS code (D3).
"use strict";

const $ = portcullis.byTestId;

// L6: shown with "Login failed".
const SECOND_FACTOR_HINTS = [
  "Temporary passcodes are upper case and case-sensitive.",
  "Security card and device responses have no spaces between characters.",
];

const DEVICE_NAMES = { dsc_plus: "Digital Security Card+", ib_key: "IB Key", sms: "SMS" };
const PANELS = ["login-form", "device-choice", "push-wait", "second-factor"];

// The login under way: { ticket, stage, expiresAt, resends }. `stage` also stops a
// push wait loop when the user moves on.
let pending = null;
let countdown = null;

function showError(testId, err) {
  const box = $(testId);
  box.dataset.code = err.code;
  const reason = err.details && err.details.reason;
  if (reason) box.dataset.reason = reason;
  else delete box.dataset.reason;
  box.textContent = err.message;
  if (err.code === "login_failed") {
    const hints = (err.details && err.details.hints) || SECOND_FACTOR_HINTS;
    const list = document.createElement("ul");
    list.dataset.testid = "login-failed-hints";
    for (const h of hints) {
      const li = document.createElement("li");
      li.textContent = h;
      list.appendChild(li);
    }
    box.appendChild(list);
  }
  if (err.code === "bad_character") {
    hintLine(box, "bad-character-hint", "Letters and digits only, no spaces.");
  }
  const until = err.code === "locked" && err.details && err.details.locked_until;
  const local = until && portcullis.localTime(until);
  if (local) hintLine(box, "lock-local-time", `That is ${local} your local time.`);
  box.hidden = false;
}

function hintLine(box, testId, text) {
  const line = document.createElement("div");
  line.className = "hint-line";
  line.dataset.testid = testId;
  line.textContent = text;
  box.appendChild(line);
}

function clearError(testId) {
  const box = $(testId);
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.code;
  delete box.dataset.reason;
}

function showPanel(name) {
  for (const p of PANELS) $(p).hidden = p !== name;
}

function startCountdown(testId, seconds, label) {
  const until = Date.now() + seconds * 1000;
  if (pending) pending.expiresAt = until;
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    $(testId).textContent = `${label} ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  };
  clearInterval(countdown);
  tick();
  countdown = setInterval(tick, 1000);
}

function showPasswordStep() {
  pending = null;
  clearInterval(countdown);
  showPanel("login-form");
  $("password").value = "";
  $("login-button").disabled = false;
  $("password").focus();
}

/// Back to the password with the broker's message (the ticket is spent).
function restart(err) {
  showPasswordStep();
  showError("login-error", err);
}

function handleStep(step) {
  if (step.status === "select_device") return showDeviceChoice(step);
  if (step.status !== "second_factor") return; // "authenticated": the main window opens.
  pending = { ticket: step.ticket, stage: step.method, resends: pending ? pending.resends : 0 };
  if (step.method === "push") return showPush(step);
  return showTyped(step);
}

// D6
function showDeviceChoice(step) {
  pending = { ticket: step.ticket, stage: "select_device", resends: 0 };
  const select = $("device-select");
  select.textContent = "";
  for (const d of step.devices) {
    const option = document.createElement("option");
    option.value = d.id;
    option.textContent = `${DEVICE_NAMES[d.kind] || d.kind} — ${d.id}`;
    option.selected = d.id === step.default_device_id;
    select.appendChild(option);
  }
  showPanel("device-choice");
  select.focus();
}

async function chooseDevice(event) {
  event.preventDefault();
  if (!pending) return;
  try {
    handleStep(await portcullis.call("choose_device", { ticket: pending.ticket, deviceId: $("device-select").value }));
  } catch (err) {
    restart(err);
  }
}

// C1, K3, D3: something to type.
function showTyped(step) {
  const sms = step.method === "sms";
  const phone = step.device_kind === "ib_key";
  $("challenge-block").hidden = sms;
  $("sms-sent-text").hidden = !sms;
  $("sms-sent-text").textContent = sms ? `A code was sent by text message to ${step.masked_number}.` : "";
  $("steps-card").hidden = sms || phone;
  $("steps-phone").hidden = sms || !phone;
  $("response-label").textContent = sms ? "Code" : "Response";
  $("challenge-code").textContent = sms ? "" : step.challenge;
  $("challenge-device").textContent = `Device: ${DEVICE_NAMES[step.device_kind] || step.device_kind} ${step.device_id}`;
  showPanel("second-factor");
  clearError("second-factor-error");
  $("response-input").value = "";
  $("response-input").focus();
  startCountdown("challenge-expiry", step.expires_in_seconds, "Expires in");
}

// K2: wait for the phone; the login proceeds by itself.
function showPush(step) {
  showPanel("push-wait");
  $("push-heading").textContent = "Approve on your phone";
  clearError("push-message");
  $("push-send-again").hidden = true;
  $("push-retry").hidden = true;
  $("push-instructions").hidden = false;
  const number = $("push-number");
  number.hidden = step.number_match == null;
  number.textContent = step.number_match == null ? "" : String(step.number_match);
  number.title = "Pick this number on your phone";
  startCountdown("push-countdown", step.expires_in_seconds, "The notification expires in");
  $("push-heading").focus();
  waitForPhone(pending);
}

async function waitForPhone(login) {
  while (pending === login && login.stage === "push") {
    let outcome;
    try {
      outcome = await portcullis.call("wait_push", { ticket: login.ticket }, { background: true });
    } catch (err) {
      if (pending !== login || login.stage !== "push") return;
      return pushEnded(login, err);
    }
    if (pending !== login) return;
    // An answer: whatever the line said before is old news.
    if ($("push-message").dataset.code && portcullis.isConnectionError({ code: $("push-message").dataset.code })) {
      clearError("push-message");
      $("push-retry").hidden = true;
    }
    if (outcome.status === "authenticated") return; // the main window opens
    if (outcome.status === "pending") {
      startCountdown("push-countdown", outcome.expires_in_seconds, "The notification expires in");
    }
  }
}

// The login server stopped answering during the wait: say so, offer Retry, and go on
// waiting by itself once the line is back (see renderStatus).
function pushInterrupted(login, err) {
  login.stage = "interrupted";
  showError("push-message", err);
  $("push-retry").hidden = false;
  // The line may look fine (a connection dropped between probes): try again shortly.
  if (linkStatus.state === "ready") setTimeout(resumePush, 1000);
}

function resumePush() {
  if (!pending || pending.stage !== "interrupted") return;
  pending.stage = "push";
  $("push-retry").hidden = true;
  waitForPhone(pending);
}

// Item 3, K6: the push is over without a login; the screen stops promising it.
const PUSH_ENDED_TEXT = {
  push_expired: "The notification expired.",
  push_denied: "The request was denied on the phone.",
  login_failed: "The phone's answer was refused.",
};

async function pushEnded(login, err) {
  if (portcullis.isConnectionError(err)) return pushInterrupted(login, err);
  if (!(err.code in PUSH_ENDED_TEXT)) return restart(err);
  clearInterval(countdown);
  $("push-countdown").textContent = "";
  $("push-instructions").hidden = true;
  $("push-number").hidden = true;
  $("push-heading").textContent = PUSH_ENDED_TEXT[err.code];
  const settings = await portcullis.call("get_settings").catch(() => ({ auto_resend: false }));
  if (err.code === "push_expired" && settings.auto_resend && login.resends < settings.auto_resend_max) {
    login.resends += 1;
    return sendAgain();
  }
  showError("push-message", err);
  $("push-send-again").hidden = false;
  $("push-send-again").focus();
}

async function sendAgain() {
  if (!pending) return;
  const login = pending;
  const was = login.stage;
  login.stage = "resending";
  try {
    handleStep(await portcullis.call("push_resend", { ticket: login.ticket }));
  } catch (err) {
    // The login server did not answer: the ticket may well be alive; stay here.
    if (portcullis.isConnectionError(err)) {
      login.stage = was;
      return showError("push-message", err);
    }
    restart(err);
  }
}

async function fallBack(event) {
  event.preventDefault();
  if (!pending) return;
  const login = pending;
  const was = login.stage;
  login.stage = "fallback";
  try {
    handleStep(await portcullis.call("push_fallback", { ticket: login.ticket }));
  } catch (err) {
    if (portcullis.isConnectionError(err)) {
      login.stage = was;
      showError("push-message", err);
      if (was === "push" || was === "interrupted") pushInterrupted(login, err);
      return;
    }
    restart(err);
  }
}

async function submitPassword(event) {
  event.preventDefault();
  clearError("login-error");
  $("session-ended").hidden = true;
  const username = $("username").value;
  const password = $("password").value;
  if (!username || !password) {
    showError("login-error", { code: "missing_field", message: "Enter your user name and password." });
    return;
  }
  $("login-button").disabled = true;
  try {
    const remember = $("remember-username").checked;
    portcullis.call("remember_username", { username: remember ? username : null }).catch(() => {});
    pending = null;
    handleStep(await portcullis.call("login", { username, password }));
  } catch (err) {
    showError("login-error", err);
    $("password").value = "";
    $("password").focus();
  } finally {
    $("login-button").disabled = false;
  }
}

async function submitResponse(event) {
  event.preventDefault();
  if (!pending) return;
  const response = $("response-input").value;
  $("response-ok").disabled = true;
  try {
    await portcullis.call("submit_response", { ticket: pending.ticket, response });
  } catch (err) {
    // C4: the challenge is spent whatever the outcome; the next try starts over.
    restart(err);
  } finally {
    $("response-ok").disabled = false;
  }
}

async function cancelLogin() {
  if (pending) {
    const ticket = pending.ticket;
    pending.stage = "cancelled";
    showPasswordStep();
    await portcullis.call("cancel_login", { ticket }).catch(() => {});
  }
}

// L1: a hint, not a block.
function updateHints(event) {
  $("username-case-hint").hidden = !/[A-Z]/.test($("username").value);
  if (event && typeof event.getModifierState === "function") {
    $("caps-lock-hint").hidden = !event.getModifierState("CapsLock");
  }
}

// The line to the login server, as the app's supervisor reports it (`broker-status`
// events), shown as "slow" too while a request of this window has waited long.
let linkStatus = { state: "starting" };
let requestSlow = false;

const STATUS_TEXT = {
  starting: () => "Connecting to the login server…",
  ready: (s) => (s.bundled ? "Connected to the built-in demo login server" : "Connected to the login server"),
  slow: () => "The login server is slow to answer…",
  reconnecting: (s) => `${s.message} Trying again in ${s.retry_in_seconds} s.`,
  failed: (s) => s.message,
};

function renderStatus() {
  const line = $("broker-status");
  const state = linkStatus.state === "ready" && requestSlow ? "slow" : linkStatus.state;
  const wasDown = line.dataset.state === "reconnecting" || line.dataset.state === "failed";
  line.classList.remove("ready", "failed", "slow", "reconnecting", "starting");
  line.classList.add(state);
  line.dataset.state = state;
  $("broker-status-text").textContent = (STATUS_TEXT[state] || STATUS_TEXT.starting)(linkStatus);
  $("broker-retry").hidden = !(state === "reconnecting" || state === "failed");
  if (linkStatus.state === "ready") {
    // Back: errors about the line are stale now, and a push wait goes on by itself.
    for (const id of ["login-error", "second-factor-error"]) {
      if (portcullis.isConnectionError({ code: $(id).dataset.code })) clearError(id);
    }
    if (wasDown || (pending && pending.stage === "interrupted")) resumePush();
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

function setUpMenus() {
  for (const menu of document.querySelectorAll("[data-menu]")) {
    const [button, items] = [menu.querySelector("button"), menu.querySelector(".menu-items")];
    button.addEventListener("click", () => {
      items.hidden = !items.hidden;
      menu.classList.toggle("open", !items.hidden);
    });
    items.addEventListener("click", () => {
      items.hidden = true;
      menu.classList.remove("open");
    });
  }
  $("menu-reset-demo").addEventListener("click", async () => {
    const notice = $("demo-notice");
    try {
      await portcullis.call("demo_reset");
      if (pending) showPasswordStep();
      clearError("login-error");
      $("username").value = "";
      notice.textContent = "Demo reset: every user, lock, the clock and the demo phone are back to the start.";
      notice.dataset.code = "demo_reset";
    } catch (err) {
      notice.textContent = err.message;
      notice.dataset.code = err.code;
    }
    notice.hidden = false;
    $("username").focus();
  });
  $("menu-open-card").addEventListener("click", () => {
    portcullis.call("open_card_window").catch((err) => showError("login-error", err));
  });
  $("menu-open-phone").addEventListener("click", () => {
    portcullis.call("open_phone_window").catch((err) => showError("login-error", err));
  });
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
  box.textContent = end.message;
  box.hidden = false;
}

window.addEventListener("DOMContentLoaded", async () => {
  setUpMenus();
  setUpAutoResend();
  $("login-form").addEventListener("submit", submitPassword);
  $("device-choice").addEventListener("submit", chooseDevice);
  $("device-cancel").addEventListener("click", cancelLogin);
  $("second-factor").addEventListener("submit", submitResponse);
  $("response-cancel").addEventListener("click", cancelLogin);
  $("push-cancel").addEventListener("click", cancelLogin);
  $("push-send-again").addEventListener("click", () => {
    if (pending) pending.resends = 0;
    sendAgain();
  });
  $("push-fallback-link").addEventListener("click", fallBack);
  $("broker-retry").addEventListener("click", () => portcullis.call("broker_retry"));
  $("push-retry").addEventListener("click", async () => {
    await portcullis.call("broker_retry").catch(() => {});
    resumePush();
  });
  $("username").addEventListener("input", updateHints);
  for (const type of ["keydown", "keyup"]) document.addEventListener(type, updateHints);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      if (pending) cancelLogin();
      else clearError("login-error");
    }
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
