// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before actions that end an item's work.
  for (const form of document.querySelectorAll('form.action[data-action="dismiss"], form.action[data-action="close"]')) {
    form.addEventListener("submit", (e) => {
      const lang = document.documentElement.lang;
      const msg = lang === "en" ? "Are you sure?" : "Bạn chắc chắn chứ?";
      if (!window.confirm(msg)) e.preventDefault();
    });
  }
  // "/" focuses the search box, as in most search tools.
  const box = document.querySelector('.searchbar input[type="search"]');
  if (box) {
    document.addEventListener("keydown", (e) => {
      if (e.key === "/" && document.activeElement !== box && !(e.target instanceof HTMLInputElement) && !(e.target instanceof HTMLTextAreaElement)) {
        e.preventDefault();
        box.focus();
      }
    });
  }
});
