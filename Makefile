# The two set-up commands (see README): `make demo` and `make test`.
# Each creates .venv with everything leaflet needs (packages and fonts) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= demo
EX := examples

.PHONY: demo test install system references bench lint clean messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,service,cluster]'
	touch $@

install: $(BIN)/.installed

demo: install
	mkdir -p $(DEMO)
	$(BIN)/leaflet build diazepam --patient $(EX)/patient.yaml --pharmacy $(EX)/pharmacy.yaml \
	    -o $(DEMO)/diazepam-en-a4.pdf
	$(BIN)/leaflet build diazepam --patient $(EX)/patient.yaml --pharmacy $(EX)/pharmacy.yaml \
	    --paper letter -o $(DEMO)/diazepam-en-letter.pdf
	$(BIN)/leaflet build diazepam --template large-print --patient $(EX)/patient.yaml \
	    --pharmacy $(EX)/pharmacy.yaml -o $(DEMO)/diazepam-en-large-print-a4.pdf
	$(BIN)/leaflet build diazepam --template side-heads --patient $(EX)/patient.yaml \
	    --pharmacy $(EX)/pharmacy.yaml -o $(DEMO)/diazepam-en-side-heads-a4.pdf
	$(BIN)/leaflet build diazepam --pharmacy $(EX)/pharmacy.yaml -o $(DEMO)/diazepam-en-blank-a4.pdf
	$(BIN)/leaflet build diazepam --patient $(EX)/patient.yaml --fillable \
	    -o $(DEMO)/diazepam-en-fillable-a4.pdf
	$(BIN)/leaflet build diazepam --lang ar --patient $(EX)/patient-ar.yaml --pharmacy $(EX)/pharmacy.yaml \
	    -o $(DEMO)/diazepam-ar-a4.pdf
	$(BIN)/leaflet batch --jobs $(EX)/jobs.csv --pharmacy $(EX)/pharmacy.yaml -o $(DEMO)/mail-merge
	$(BIN)/leaflet batch --medicine diazepam --template standard --paper a4 -o $(DEMO)/all-languages
	@echo "demo leaflets are in $(DEMO)/"

# Programs from Debian that the tests use, installed when missing (as root, like CI): Chromium (the counter
# page and the HTML leaflet in a real browser; Playwright never downloads one) and poppler-utils (pdfinfo).
system:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdfinfo >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then echo "installing from Debian:$$missing"; apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; fi

test: install system
	$(BIN)/ruff check leaflet tests benchmarks tools
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# Regenerate the reference page images after an intended change of look; review them before committing.
references: install
	LEAFLET_UPDATE_REFERENCES=1 $(BIN)/python -m pytest -q tests/test_visual.py

bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/peer.py

lint: install
	$(BIN)/ruff check leaflet tests benchmarks tools

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info tests/output

# Template words: extract them into the catalogue template and merge it into every language's catalogue.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NP_:1,2 --no-location --sort-output --project leaflet \
	    --version 0.1 --copyright-holder "The leaflet authors" --msgid-bugs-address none -o leaflet/locale/leaflet.pot .
	for po in leaflet/locale/*/LC_MESSAGES/leaflet.po; do \
	    $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i leaflet/locale/leaflet.pot -o $$po -l $$(basename $$(dirname $$(dirname $$po)) | tr - _) || exit 1; done
