// The IB Key phone simulator: activation (K1), Add user (K5), login requests (K2, K6),
// the Authenticate screen (K3). Keys and the phone's token stay in the Rust side and
// the OS keyring; this page only shows and asks.
"use strict";

const $ = portcullis.byTestId;
const SCREENS = [
  "phone-setup", "phone-activate", "phone-verify", "phone-code", "phone-home", "phone-request",
  "phone-authenticate", "phone-refused",
];

let status = { configured: false };
let openRequest = null; // the push being looked at
let picked = null;

// A new screen starts clean: no old error, no old notice (item 15), and focus on its
// heading (issue 12) — or on `focus`, the control the step starts with.
let current = null;
function show(screen, focus = null) {
  for (const s of SCREENS) $(s).hidden = s !== screen;
  if (screen === current) return;
  current = screen;
  $("phone-error").hidden = true;
  $("phone-notice").hidden = true;
  (focus || $(screen).querySelector(".step-heading")).focus();
}

function error(err) {
  if (err.code === "unknown_phone") return refresh();
  const box = $("phone-error");
  box.dataset.code = err.code;
  box.replaceChildren(i18n.error(err));
  box.hidden = false;
  $("phone-notice").hidden = true;
}

// `key`: the notice's text (`phone.notice.*` in i18n-simulators.js).
function notice(key, code) {
  const box = $("phone-notice");
  i18n.text(box, key);
  box.dataset.code = code;
  box.hidden = false;
}

async function refresh() {
  status = await portcullis.call("phone_status", {}, { background: true });
  $("phone-id").textContent = status.configured ? status.phone_id : "";
  if (!status.configured) {
    if ($("phone-activate").hidden && $("phone-code").hidden && $("phone-verify").hidden) show("phone-setup");
    return;
  }
  if (status.refused) {
    if ($("phone-refused").hidden) {
      $("phone-refused-text").replaceChildren(i18n.error(status.refused));
      $("phone-refused-text").dataset.code = status.refused.code;
      show("phone-refused");
    }
    return;
  }
  if (!$("phone-refused").hidden) show("phone-home");
  renderHome();
  if (status.opened) return openPush(status.opened);
  if (openRequest && !status.incoming.some((p) => p.push_id === openRequest.push_id)) {
    openRequest = null;
    show("phone-home");
  }
}

function renderHome() {
  const list = $("phone-requests");
  // Redrawn on every change: a request that had focus keeps it.
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.pushId : null;
  list.textContent = "";
  for (const push of status.incoming) {
    const li = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "request";
    open.dataset.testid = "phone-request-item";
    open.dataset.pushId = push.push_id;
    open.dataset.username = push.username;
    i18n.text(open, "phone.request_for", { username: push.username });
    open.addEventListener("click", () => openPush(push.push_id));
    li.appendChild(open);
    list.appendChild(li);
    if (push.push_id === focused) open.focus();
  }
  $("phone-no-requests").hidden = status.incoming.length > 0;
  const accounts = $("phone-accounts");
  accounts.textContent = "";
  for (const a of status.accounts) {
    const li = document.createElement("li");
    li.dataset.username = a.username;
    li.dataset.testid = "phone-account";
    const security = () => (a.security === "biometric" ? "Face ID" : i18n.t("phone.pin_short"));
    i18n.text(li, "phone.account", { username: a.username, device: a.device_id, security });
    accounts.appendChild(li);
  }
  showAccess();
  const users = $("phone-auth-user");
  const chosen = users.value;
  users.textContent = "";
  for (const a of status.accounts) {
    const option = document.createElement("option");
    option.value = a.username;
    option.textContent = a.username;
    users.appendChild(option);
  }
  if (chosen) users.value = chosen;
  if ($("phone-request").hidden && $("phone-authenticate").hidden && $("phone-activate").hidden
      && $("phone-code").hidden && $("phone-verify").hidden) {
    show("phone-home");
  }
}

// K7: how long the phone grants trading access after the last approval.
async function showAccess() {
  const access = await portcullis.call("phone_access", {}, { background: true }).catch(() => null);
  if (!access) return;
  for (const a of access.accounts) {
    const li = document.querySelector(`[data-testid="phone-account"][data-username="${a.username}"]`);
    if (!li) continue;
    li.querySelector(".access")?.remove();
    const span = document.createElement("div");
    span.className = "access muted";
    span.dataset.testid = "phone-trading-access";
    if (a.trading_access) i18n.text(span, "phone.access_until", { time: format.utc(a.trading_access_until) });
    else i18n.text(span, "phone.access_renew");
    li.appendChild(span);
  }
}

function openPush(pushId) {
  const push = status.incoming.find((p) => p.push_id === pushId);
  if (!push) return;
  openRequest = push;
  picked = null;
  $("phone-request-user").textContent = push.username;
  i18n.text($("phone-request-expiry"), "phone.request_expiry", { time: format.utc(push.expires_at) });
  $("phone-approve-pin").value = "";
  const account = status.accounts.find((a) => a.username === push.username);
  $("phone-approve-biometric").hidden = !account || account.security !== "biometric";
  const numbers = $("phone-number-choices");
  numbers.textContent = "";
  numbers.hidden = !push.number_choices;
  for (const n of push.number_choices || []) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = String(n);
    b.dataset.testid = "phone-number-choice";
    b.dataset.number = String(n);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      picked = n;
      for (const other of numbers.children) {
        other.classList.toggle("picked", other === b);
        other.setAttribute("aria-pressed", String(other === b));
      }
    });
    numbers.appendChild(b);
  }
  // Number matching: the pick comes first; otherwise the PIN.
  show("phone-request", numbers.firstChild || $("phone-approve-pin"));
}

async function answer(command, args) {
  if (!openRequest) return;
  let failure = null;
  try {
    await portcullis.call(command, { pushId: openRequest.push_id, ...args });
  } catch (err) {
    failure = err;
  }
  openRequest = null;
  await refresh();
  if (status.refused) return;
  show("phone-home");
  if (failure) error(failure);
  else notice(command === "phone_deny" ? "phone.notice.denied" : "phone.notice.approved", command);
}

let adding = false;

async function sendActivationCode(event) {
  event.preventDefault();
  try {
    const started = await portcullis.call("phone_activation_start", {
      username: $("phone-activate-username").value,
      password: $("phone-activate-password").value,
      phoneNumber: $("phone-activate-number").value,
    });
    if (started.status === "verify_device") return showVerify(started);
    showCodeStep(started);
  } catch (err) {
    error(err);
  }
}

function showCodeStep(sent) {
  i18n.text($("phone-code-sent"), "phone.code_sent", { number: sent.masked_number });
  $("phone-activation-code").value = "";
  show("phone-code", $("phone-activation-code"));
  showMessages();
}

// Item 4: moving IB Key or a number not on record needs the active second factor: a
// challenge (DSC+, IB Key), a code by SMS, a card's two index numbers or the passcode.
// Its texts are `phone.verify.<method>` and `.label` in i18n-simulators.js.
const VERIFY_METHODS = ["challenge", "sms", "index_card", "temporary_passcode"];

function showVerify(step) {
  const method = VERIFY_METHODS.includes(step.method) ? step.method : "challenge";
  const device = () => format.device(step.device_kind, step.device_id);
  const sms = step.method === "sms";
  i18n.text($("phone-verify-text"), `phone.verify.${method}`, { device, number: step.masked_number });
  const shown = $("phone-verify-challenge");
  if (method === "index_card") {
    const [first, second] = step.indexes.map((i) => String(i).padStart(2, "0"));
    i18n.text(shown, "phone.verify.index_card.shown", { first, second });
  } else {
    i18n.plain(shown, method === "challenge" ? step.challenge : "");
  }
  shown.hidden = !shown.textContent;
  $("phone-verify-sms-list").hidden = !sms;
  i18n.text($("phone-verify-label"), `phone.verify.${method}.label`);
  $("phone-verify-response").inputMode = step.method === "temporary_passcode" ? "text" : "numeric";
  $("phone-verify-response").value = "";
  show("phone-verify", $("phone-verify-response"));
  if (sms) showVerifyMessages();
}

async function showVerifyMessages() {
  if ($("phone-verify").hidden) return;
  const inbox = await portcullis.call("phone_messages", {}, { background: true }).catch(() => ({ messages: [] }));
  showInbox($("phone-verify-sms-list"), inbox.messages);
  setTimeout(showVerifyMessages, 1000);
}

// The last three text messages; redrawn only when they change, so the log (a live
// region) reads out new messages only.
function showInbox(box, messages) {
  const last = messages.slice(-3);
  const key = JSON.stringify(last.map((m) => m.body));
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  box.textContent = "";
  for (const m of last) {
    const div = document.createElement("div");
    div.dataset.testid = "phone-sms";
    div.textContent = m.body;
    box.appendChild(div);
  }
}

async function submitVerify(event) {
  event.preventDefault();
  try {
    const sent = await portcullis.call("phone_activation_verify", { response: $("phone-verify-response").value });
    showCodeStep(sent);
  } catch (err) {
    // A wrong response ends the activation: back to its first screen.
    if (!portcullis.isConnectionError(err)) show("phone-activate");
    error(err);
  }
}

async function showMessages() {
  const inbox = await portcullis.call("phone_messages", {}, { background: true }).catch(() => ({ messages: [] }));
  showInbox($("phone-sms-list"), inbox.messages);
  if (!$("phone-code").hidden) setTimeout(showMessages, 1000);
}

async function finishActivation(event) {
  event.preventDefault();
  const security = document.querySelector("input[name=security]:checked").value;
  try {
    await portcullis.call("phone_activation_finish", {
      code: $("phone-activation-code").value,
      security,
      pin: $("phone-activation-pin").value,
    });
    show("phone-home");
    await refresh();
    notice(adding ? "phone.notice.user_added" : "phone.notice.activated", "activated");
    adding = false;
  } catch (err) {
    error(err);
  }
}

async function generate(event) {
  event.preventDefault();
  const pin = $("phone-auth-pin").value;
  try {
    const response = await portcullis.call("phone_authenticate", {
      username: $("phone-auth-user").value,
      pin: pin === "" ? null : pin,
      challenge: $("phone-auth-challenge").value,
    });
    $("phone-auth-response").textContent = response;
  } catch (err) {
    error(err);
  }
}

window.addEventListener("DOMContentLoaded", async () => {
  $("phone-activate-start").addEventListener("click", () => {
    adding = false;
    i18n.text($("phone-activate-title"), "phone.activate_title");
    show("phone-activate", $("phone-activate-username"));
  });
  $("phone-use-demo").addEventListener("click", async () => {
    try {
      await portcullis.call("phone_use_demo");
      await refresh();
      notice("phone.notice.demo", "demo");
    } catch (err) {
      error(err);
    }
  });
  $("phone-activate-back").addEventListener("click", () => show(status.configured ? "phone-home" : "phone-setup"));
  $("phone-activate").addEventListener("submit", sendActivationCode);
  $("phone-code").addEventListener("submit", finishActivation);
  $("phone-verify").addEventListener("submit", submitVerify);
  $("phone-verify-back").addEventListener("click", () => show("phone-activate"));
  $("phone-repair").addEventListener("click", async () => {
    try {
      const result = await portcullis.call("phone_repair");
      await refresh();
      if (result.repaired) notice("phone.notice.repaired", "repaired");
      else show("phone-setup");
    } catch (err) {
      error(err);
    }
  });
  $("phone-refused-forget").addEventListener("click", async () => {
    await portcullis.call("phone_forget").catch(error);
    show("phone-setup");
    refresh();
  });
  $("phone-add-user").addEventListener("click", () => {
    adding = true;
    i18n.text($("phone-activate-title"), "phone.add_user");
    show("phone-activate", $("phone-activate-username"));
  });
  $("phone-forget").addEventListener("click", async () => {
    await portcullis.call("phone_forget").catch(error);
    show("phone-setup");
    refresh();
  });
  $("phone-open-authenticate").addEventListener("click", () => {
    $("phone-auth-response").textContent = "";
    show("phone-authenticate", $("phone-auth-user"));
  });
  $("phone-authenticate").addEventListener("submit", generate);
  $("phone-auth-back").addEventListener("click", () => show("phone-home"));
  $("phone-request-back").addEventListener("click", () => {
    openRequest = null;
    show("phone-home");
  });
  $("phone-request").addEventListener("submit", (event) => {
    event.preventDefault();
    answer("phone_approve", { pin: $("phone-approve-pin").value, picked });
  });
  $("phone-approve-biometric").addEventListener("click", () => answer("phone_approve", { pin: null, picked }));
  $("phone-deny").addEventListener("click", () => answer("phone_deny", {}));
  portcullis.listen("phone-changed", () => refresh());
  portcullis.listen("phone-open-request", (e) => refresh().then(() => openPush(e.payload)));
  await refresh();
});
