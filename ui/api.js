// The one wrapper around Tauri's invoke: every command either resolves with its value
// or rejects with the {code, message} error the Rust side sends.
//
// It also notices a slow login server: when any call (other than those marked
// `background`, such as the push long poll) has been waiting SLOW_AFTER_MS, the
// document gets a `portcullis-slow` event with `detail: true`, and `detail: false`
// once every such call has settled.
"use strict";

const portcullis = (() => {
  const SLOW_AFTER_MS = 1500;
  let inFlight = 0;
  let slowTimer = null;
  let slow = false;

  function setSlow(value) {
    if (slow === value) return;
    slow = value;
    document.dispatchEvent(new CustomEvent("portcullis-slow", { detail: value }));
  }

  function started() {
    inFlight += 1;
    if (!slowTimer) slowTimer = setTimeout(() => setSlow(true), SLOW_AFTER_MS);
  }

  function settled() {
    inFlight -= 1;
    if (inFlight > 0) return;
    clearTimeout(slowTimer);
    slowTimer = null;
    setSlow(false);
  }

  return {
    async call(command, args = {}, options = {}) {
      if (!options.background) started();
      try {
        return await window.__TAURI__.core.invoke(command, args);
      } catch (err) {
        if (err && typeof err === "object" && "code" in err) throw err;
        throw { code: "ipc", message: String(err) };
      } finally {
        if (!options.background) settled();
      }
    },
    listen(event, handler) {
      return window.__TAURI__.event.listen(event, handler);
    },
    // Kiosk mode (issue 10): a key or a touch in any window is activity, so the
    // booth's idle time counts across all of them. At most once a second.
    watchActivity() {
      let last = 0;
      const touch = () => {
        const now = Date.now();
        if (now - last < 1000) return;
        last = now;
        window.__TAURI__.core.invoke("kiosk_touch").catch(() => {});
      };
      for (const type of ["keydown", "pointerdown", "wheel"]) {
        document.addEventListener(type, touch, { passive: true, capture: true });
      }
    },
    byTestId(id) {
      return document.querySelector(`[data-testid="${id}"]`);
    },
    // An error box (role=alert): the message, the broker's hints (L6) as a list, and
    // the code in `data-code` for tests. `err` null hides and empties it.
    showError(box, err) {
      box.textContent = "";
      if (!err) {
        box.hidden = true;
        delete box.dataset.code;
        delete box.dataset.reason;
        delete box.dataset.primary;
        return;
      }
      box.dataset.code = err.code;
      // What exactly was wrong, where the broker says (`invalid_address`, `invalid_pin`…).
      const reason = err.details && err.details.reason;
      if (reason) box.dataset.reason = reason;
      else delete box.dataset.reason;
      // O3 `not_primary`: who may change the settings (the message names them too).
      if (err.details && err.details.primary_username) box.dataset.primary = err.details.primary_username;
      else delete box.dataset.primary;
      // The broker's English, or the French for its code (`i18n.js`).
      box.append(i18n.error(err));
      const hints = err.details && err.details.hints;
      if (hints && hints.length) {
        const list = document.createElement("ul");
        const codes = err.details.hint_codes || [];
        hints.forEach((h, i) => {
          const li = document.createElement("li");
          li.dataset.hint = codes[i] || "";
          li.appendChild(i18n.hint(h, codes[i]));
          list.appendChild(li);
        });
        box.appendChild(list);
      }
      box.hidden = false;
    },
    // Connection trouble, as opposed to an answer from the login server.
    isConnectionError(err) {
      return ["broker_unreachable", "broker_timeout", "broker_starting"].includes(err && err.code);
    },
  };
})();

window.addEventListener("DOMContentLoaded", () => portcullis.watchActivity());
