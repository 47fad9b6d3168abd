// The main window: the real session, as the broker reports it.
"use strict";

const $ = portcullis.byTestId;

const DEVICE_NAMES = { dsc_plus: "Digital Security Card+", ib_key: "IB Key", sms: "SMS" };

async function showSession() {
  try {
    const s = await portcullis.call("current_session");
    $("session-username").textContent = s.username;
    $("session-full-name").textContent = s.full_name || "—";
    $("session-account").textContent = s.account;
    $("session-device").textContent = s.device_id
      ? `${DEVICE_NAMES[s.device_kind] || s.device_kind} ${s.device_id}`
      : "None (password only)";
    $("session-logged-in-at").textContent = s.logged_in_at.replace("T", " ").replace("Z", " UTC");
    $("topbar-user").textContent = `${s.username} · ${s.account}`;
  } catch (err) {
    const box = $("session-error");
    box.dataset.code = err.code;
    box.textContent = err.message;
    box.hidden = false;
  }
}

window.addEventListener("DOMContentLoaded", () => {
  $("logout-button").addEventListener("click", () => portcullis.call("logout"));
  showSession();
});
