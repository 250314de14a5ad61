// Settings page: shows the sensitivity slider's value as it moves.
"use strict";
(function () {
  const s = document.getElementById("sensitivity"), out = document.getElementById("sensitivity-value");
  if (s && out) s.addEventListener("input", function () { out.textContent = s.value; });
})();
