/* DOM helpers shared by the map page's scripts (part of the aed-tracker maps package,
 * not vendored): aedmap.js, emergency.js and coverage.js. Loaded before them on every
 * map page (maps/assets.py JS_FILES).
 *
 * Text goes on the page with textContent only, never parsed as HTML: this is the one
 * place the scripts build elements with words in them.
 */
(function () {
  "use strict";

  // A JSON blob the server put in a <script type="application/json"> element.
  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  window.AedDom = { readJson: readJson, el: el };
})();
