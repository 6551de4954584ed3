// Drag a row of the staff list to move the link (the API's move/). Progressive: the Up and
// Down buttons do the same without this script. Same origin only, as the page's CSP allows.
(function () {
  "use strict";
  const table = document.querySelector("table.links[data-move-url]");
  if (!table || !window.fetch) return;
  const status = document.getElementById("reorder-status");
  const texts = table.dataset;
  const rows = Array.from(table.tBodies[0].rows);
  let dragged = null;

  const remembered = sessionStorage.getItem("reorder-message");
  if (remembered && status) {
    sessionStorage.removeItem("reorder-message");
    status.textContent = remembered;
  }
  if (rows.length < 2) return;
  table.classList.add("reorderable");
  const hint = document.getElementById("reorder-hint");
  if (hint) hint.hidden = false;

  function clearMarks() {
    rows.forEach((row) => row.classList.remove("drop-before", "drop-after"));
  }

  function placeOf(event, row) {
    const box = row.getBoundingClientRect();
    return event.clientY < box.top + box.height / 2 ? "before" : "after";
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  async function move(linkId, place, otherId) {
    say(texts.moving);
    const url = texts.moveUrl.replace("/0/move/", `/${linkId}/move/`);
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": texts.csrfToken,
        },
        // Ids as strings: a JavaScript number cannot hold every 64-bit id.
        body: JSON.stringify({ [place]: otherId }),
      });
      if (response.ok) {
        sessionStorage.setItem("reorder-message", texts.moved);
        window.location.reload();
        return;
      }
      const body = await response.json().catch(() => ({}));
      const detail = body.detail || Object.values(body).flat().join(" ");
      say(`${texts.failed} ${detail || response.status}`);
    } catch (error) {
      say(texts.failed);
    }
  }

  rows.forEach((row) => {
    row.draggable = true;
    row.addEventListener("dragstart", (event) => {
      dragged = row;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.linkId);
    });
    row.addEventListener("dragend", () => {
      row.classList.remove("dragging");
      clearMarks();
      dragged = null;
    });
    row.addEventListener("dragover", (event) => {
      if (!dragged || dragged === row) return;
      event.preventDefault();
      clearMarks();
      row.classList.add(placeOf(event, row) === "before" ? "drop-before" : "drop-after");
    });
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      if (!dragged || dragged === row) return;
      const place = placeOf(event, row);
      clearMarks();
      move(dragged.dataset.linkId, place, row.dataset.linkId);
    });
  });
})();
