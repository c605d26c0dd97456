// Portal-wide behaviour: charts declared in markup (data-chart) and confirm prompts.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("canvas[data-chart]").forEach(function (el) {
    const spec = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    new Chart(el, spec);
  });
});
