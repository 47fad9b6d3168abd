// The one wrapper around Tauri's invoke: every command either resolves with its value
// or rejects with the {code, message} error the Rust side sends.
"use strict";

const portcullis = {
  async call(command, args = {}) {
    try {
      return await window.__TAURI__.core.invoke(command, args);
    } catch (err) {
      if (err && typeof err === "object" && "code" in err) throw err;
      throw { code: "ipc", message: String(err) };
    }
  },
  listen(event, handler) {
    return window.__TAURI__.event.listen(event, handler);
  },
  byTestId(id) {
    return document.querySelector(`[data-testid="${id}"]`);
  },
};
