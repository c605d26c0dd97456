// The lead form: Bootstrap classes on the generated fields (templates/leads/lead_form.html).
document.querySelectorAll("#lead-form input, #lead-form select, #lead-form textarea").forEach(function (el) {
  if (el.type !== "checkbox") { el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control"); }
});
