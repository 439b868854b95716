// The counter page: the form -> the JSON API. No framework, no build step.
"use strict";

(() => {
  const form = document.getElementById("leaflet-form");
  const problem = document.getElementById("problem");
  const warning = document.getElementById("warning");
  const preview = document.getElementById("preview");
  const $ = (id) => document.getElementById(id);
  const PATIENT = ["name", "prescriber", "pharmacy", "date_dispensed"];
  const STRUCTURED = ["dose", "unit", "route", "frequency", "every_hours", "as_needed", "days", "max_doses_per_day"];

  // Only the languages the chosen medicine has.
  function syncLanguages() {
    const langs = ($("medicine").selectedOptions[0]?.dataset.languages || "").split(" ");
    for (const option of $("language").options) option.disabled = !langs.includes(option.value);
    if ($("language").selectedOptions[0]?.disabled) $("language").value = langs.includes("en") ? "en" : langs[0];
  }

  function clearProblem() {
    problem.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
  }

  function show(message, field) {
    problem.textContent = message;
    // "patient.directions.dose" -> #dose; "patient.name" -> #name; "notes" -> #notes
    const parts = (field || "").split(".");
    let el = null;
    for (let i = parts.length; i > 0 && !el; i--) el = $(parts[i - 1]);
    if (el && form.contains(el)) {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", "problem");
      el.focus();
    }
  }

  // The request body, exactly as typed: numbers go as text, so the server reads them as a patient file does.
  function body() {
    const patient = {};
    for (const key of PATIENT) if ($(key).value.trim()) patient[key] = $(key).value.trim();
    const structured = {};
    for (const key of STRUCTURED) if ($(key).value.trim()) structured[key] = $(key).value.trim();
    if ($("confirm_unusual_dose").checked) structured.confirm_unusual_dose = true;
    const typed = $("directions").value.trim();
    if (typed && Object.keys(structured).length) {
      show(form.dataset.bothDirections, "directions");
      return null;
    }
    if (typed) patient.directions = typed;
    else if (Object.keys(structured).length) patient.directions = structured;
    const request = {
      medicine: $("medicine").value, language: $("language").value,
      template: $("template").value, paper: $("paper").value, fillable: $("fillable").checked,
    };
    if (Object.keys(patient).length) request.patient = patient;
    if ($("notes").value.trim()) request.notes = $("notes").value;
    return request;
  }

  async function call(path) {
    clearProblem();
    const request = body();
    if (!request) return null;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(path, {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(request),
      });
      if (!response.ok) {
        let detail = {message: response.statusText};
        try { detail = await response.json(); } catch (e) { /* not JSON */ }
        show(detail.message + (detail.hint ? " — " + detail.hint : ""), detail.field);
        return null;
      }
      warning.textContent = response.headers.get("Leaflet-Warning") ? form.dataset.draft : "";
      return {blob: await response.blob(), request};
    } catch (e) {
      show(String(e), null);
      return null;
    } finally {
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await call("/v1/preview");
    if (!result) return;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(result.blob);
    preview.hidden = false;
    preview.scrollIntoView({block: "nearest"});  // below the form on a narrow (portrait) screen
  });

  $("print-button").addEventListener("click", async () => {
    const win = window.open("", "_blank");  // opened now, while the click still counts as the user's
    const result = await call("/v1/leaflets");
    if (!result) { if (win) win.close(); return; }
    const url = URL.createObjectURL(new Blob([result.blob], {type: "application/pdf"}));
    if (win) win.location = url; else window.location = url;
  });

  $("download-button").addEventListener("click", async () => {
    const result = await call("/v1/leaflets");
    if (!result) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(result.blob);
    link.download = `${result.request.medicine}-${result.request.language}.pdf`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  });

  $("medicine").addEventListener("change", syncLanguages);
  syncLanguages();
})();
