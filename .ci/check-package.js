#!/usr/bin/env node
// placeholder, replaced by the packaging check
