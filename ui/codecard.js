// The Security Code Card simulator (D7): the printed grid of 100 three-digit codes, of
// a Security Code Card or of an online card printed earlier (T3).
// Index NN is row N·10 (its first digit), column N (its second): the cell testid is
// `codecard-code-NN`. The grid is fetched once and kept in the OS keyring (Rust side).
"use strict";

const $ = portcullis.byTestId;

function showError(err) {
  portcullis.showError($("codecard-error"), err);
}

function two(n) {
  return String(n).padStart(2, "0");
}

// The cards listed, by id: their kind names the caption.
const cards = new Map();

// A header row 0–9, then ten rows headed 00, 10, … 90: each cell its index's code.
function drawGrid(card) {
  const head = $("codecard-grid").tHead.rows[0];
  while (head.cells.length > 1) head.deleteCell(1);
  for (let col = 0; col < 10; col++) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = String(col);
    head.appendChild(th);
  }
  const body = $("codecard-grid").tBodies[0];
  body.textContent = "";
  for (let row = 0; row < 10; row++) {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = two(row * 10);
    tr.appendChild(th);
    for (let col = 0; col < 10; col++) {
      const index = row * 10 + col;
      const td = tr.insertCell();
      td.dataset.testid = `codecard-code-${two(index)}`;
      td.textContent = card.codes[index];
    }
  }
  const listed = cards.get(card.device_id);
  const kind = listed ? listed.kind : "security_code_card";
  i18n.text($("codecard-caption"), "codecard.caption", { device: () => format.device(kind, card.device_id) });
}

async function chooseCard(deviceId) {
  const holder = $("codecard-card");
  holder.dataset.ready = "false";
  showError(null);
  try {
    const card = await portcullis.call("codecard_load", { deviceId });
    // Another card may have been chosen while this one loaded.
    if ($("codecard-select").value !== deviceId) return;
    drawGrid(card);
    holder.dataset.ready = "true";
  } catch (err) {
    if ($("codecard-select").value === deviceId) showError(err);
  }
}

async function loadCards() {
  const select = $("codecard-select");
  try {
    const devices = await portcullis.call("codecard_devices");
    select.textContent = "";
    cards.clear();
    for (const d of devices) {
      cards.set(d.id, d);
      const option = document.createElement("option");
      option.value = d.id;
      option.textContent = `${d.id} — ${d.owner}${d.status === "active" ? "" : ` (${d.status})`}`;
      select.appendChild(option);
    }
    if (devices.length) await chooseCard(devices[0].id);
  } catch (err) {
    if (err.code === "broker_starting") {
      setTimeout(loadCards, 300);
      return;
    }
    showError(err);
  }
}

window.addEventListener("DOMContentLoaded", () => {
  $("codecard-select").addEventListener("change", (e) => chooseCard(e.target.value));
  $("codecard-select").focus();
  loadCards();
});
