// The menu bar's drop-down menus (issue 12): each is a button with `aria-expanded`
// that shows a list of buttons. Enter, Space or ArrowDown opens it with focus on the
// first item; ArrowUp/ArrowDown, Home/End move between items; Escape closes it and puts
// focus back on its button; leaving it (Tab, a click elsewhere) or choosing an item
// closes it.
"use strict";

const menus = (() => {
  function items(menu) {
    return [...menu.querySelectorAll(".menu-items button")].filter((b) => !b.hidden);
  }

  function setOpen(menu, open) {
    const button = menu.querySelector("[aria-expanded]");
    menu.querySelector(".menu-items").hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  }

  function isOpen(menu) {
    return !menu.querySelector(".menu-items").hidden;
  }

  function moveFocus(menu, to) {
    const list = items(menu);
    const at = list.indexOf(document.activeElement);
    const next = { first: 0, last: list.length - 1, next: at + 1, previous: at - 1 }[to];
    list[(next + list.length) % list.length].focus();
  }

  function setUp(menu) {
    const button = menu.querySelector("[aria-expanded]");
    button.addEventListener("click", (event) => {
      const open = !isOpen(menu);
      for (const other of document.querySelectorAll("[data-menu]")) {
        if (other !== menu) setOpen(other, false);
      }
      setOpen(menu, open);
      // Opened from the keyboard (a click with no pointer): go into the menu.
      if (open && event.detail === 0) moveFocus(menu, "first");
    });
    button.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      event.preventDefault();
      setOpen(menu, true);
      moveFocus(menu, event.key === "ArrowDown" ? "first" : "last");
    });
    menu.querySelector(".menu-items").addEventListener("keydown", (event) => {
      const to = { ArrowDown: "next", ArrowUp: "previous", Home: "first", End: "last" }[event.key];
      if (to) {
        event.preventDefault();
        moveFocus(menu, to);
      }
    });
    // Choosing an item closes the menu; focus goes back to its button, not to nowhere.
    menu.querySelector(".menu-items").addEventListener("click", () => {
      const hadFocus = menu.contains(document.activeElement);
      setOpen(menu, false);
      if (hadFocus) button.focus();
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !isOpen(menu)) return;
      // The menu's Escape: not the window's (which cancels a login).
      event.preventDefault();
      event.stopPropagation();
      setOpen(menu, false);
      button.focus();
    });
    // Tabbing out closes it; a click elsewhere is the document's click handler's.
    menu.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) setOpen(menu, false);
    });
  }

  document.addEventListener("click", (event) => {
    for (const menu of document.querySelectorAll("[data-menu]")) {
      if (!menu.contains(event.target)) setOpen(menu, false);
    }
  });

  return {
    setUpAll() {
      for (const menu of document.querySelectorAll("[data-menu]")) setUp(menu);
    },
  };
})();
