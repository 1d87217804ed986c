#!/usr/bin/env node
// Thin launcher so the bin exists before the first build; the code is in src/.
import "../dist/example-receiver-main.js";
