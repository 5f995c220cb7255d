#!/usr/bin/env node
import "../dist/bin/sipid.js"
