// The login window: password step, then the DSC+ challenge (C1) and response.
"use strict";

const $ = portcullis.byTestId;

// L6: shown with "Login failed".
const SECOND_FACTOR_HINTS = [
  "Temporary passcodes are upper case and case-sensitive.",
  "Security card and device responses have no spaces between characters.",
];

let pending = null; // { ticket, expiresAt }
let countdown = null;

function showError(testId, err) {
  const box = $(testId);
  box.dataset.code = err.code;
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
  box.hidden = false;
}

function clearError(testId) {
  const box = $(testId);
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.code;
}

function showPasswordStep() {
  pending = null;
  clearInterval(countdown);
  $("second-factor").hidden = true;
  $("login-form").hidden = false;
  $("password").value = "";
  $("login-button").disabled = false;
  $("password").focus();
}

function showChallenge(step) {
  pending = { ticket: step.ticket, expiresAt: Date.parse(step.expires_at) };
  $("login-form").hidden = true;
  $("second-factor").hidden = false;
  clearError("second-factor-error");
  $("challenge-code").textContent = step.challenge;
  $("response-input").value = "";
  $("response-input").focus();
  const tick = () => {
    const left = Math.max(0, Math.round((pending.expiresAt - Date.now()) / 1000));
    $("challenge-expiry").textContent =
      `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  };
  clearInterval(countdown);
  tick();
  countdown = setInterval(tick, 1000);
}

async function submitPassword(event) {
  event.preventDefault();
  clearError("login-error");
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
    const step = await portcullis.call("login", { username, password });
    if (step.status === "second_factor") {
      showChallenge(step);
    }
    // "authenticated": the app opens the main window and hides this one.
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
    showPasswordStep();
    showError("login-error", err);
  } finally {
    $("response-ok").disabled = false;
  }
}

async function cancelChallenge() {
  if (pending) {
    const ticket = pending.ticket;
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

async function watchBroker() {
  const text = $("broker-status-text");
  const line = $("broker-status");
  const retry = $("broker-retry");
  const status = await portcullis.call("broker_status").catch((e) => ({ state: "failed", message: e.message, code: e.code }));
  line.classList.remove("ready", "failed");
  line.dataset.state = status.state;
  if (status.state === "ready") {
    line.classList.add("ready");
    text.textContent = status.bundled ? "Connected to the bundled demo broker" : `Connected to ${status.url}`;
    retry.hidden = true;
    return;
  }
  if (status.state === "failed") {
    line.classList.add("failed");
    text.textContent = status.message;
    retry.hidden = false;
    return;
  }
  text.textContent = "Connecting to the broker…";
  retry.hidden = true;
  setTimeout(watchBroker, 250);
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
      notice.textContent = "Demo reset: every user, lock and the clock are back to the start.";
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
}

window.addEventListener("DOMContentLoaded", async () => {
  setUpMenus();
  $("login-form").addEventListener("submit", submitPassword);
  $("second-factor").addEventListener("submit", submitResponse);
  $("response-cancel").addEventListener("click", cancelChallenge);
  $("broker-retry").addEventListener("click", async () => {
    await portcullis.call("broker_retry");
    watchBroker();
  });
  $("username").addEventListener("input", updateHints);
  for (const type of ["keydown", "keyup"]) document.addEventListener(type, updateHints);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      if (pending) cancelChallenge();
      else clearError("login-error");
    }
  });

  watchBroker();
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
