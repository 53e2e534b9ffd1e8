// check.mjs — the accessibility check of every screen (issue 15, point 9), run by
// tests/tests/a11y.rs: serves ui/ on loopback, opens it in headless Debian Chromium with a stub
// of the window API (window.__TAURI__) that answers with the real kiosk's JSON
// ($GUICHET_FIXTURES), walks the screens with the keyboard (counter idle, accepted, warning,
// refused, the undo question, the PIN dialog, the day review, the administration, English),
// runs axe-core on each, and measures the verdict card. Exit status 1 on any serious or
// critical violation or a figure below its bound.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize, resolve } from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
const UI = resolve(process.env.GUICHET_UI);
const FIXTURES = JSON.parse(await readFile(process.env.GUICHET_FIXTURES, "utf8"));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".ttf": "font/ttf" };

const server = createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
  const file = join(UI, path === "/" ? "index.html" : path);
  if (!file.startsWith(UI)) return response.writeHead(403).end();
  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

/** The stub of the shell: each command answers from the fixtures, as the real kiosk did. */
function stub(fixtures) {
  const listeners = {};
  let snapshot = fixtures.snapshot;
  const answers = {
    snapshot: () => snapshot,
    ui_ready: () => 1,
    lock: () => (snapshot = { ...snapshot, unlocked: null, unlocked_by: null }),
    unlock: ({ role }) => (snapshot = role === "admin" ? fixtures.admin : fixtures.manager),
    set_lang: ({ lang }) => (snapshot = { ...snapshot, lang }),
    review: () => fixtures.review,
    issuer_keys: () => fixtures.issuer_keys,
    update_files: () => [],
    undo_last_checkout: () => ({ kind: "committed", code: "UNDONE", message: { fr: "Annulé.", en: "Undone." }, basket: snapshot.basket, last_checkout: null }),
  };
  window.__guichetEmit = (name, payload) => (listeners[name] ?? []).forEach((cb) => cb({ payload }));
  window.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        if (!answers[name]) throw { code: "STUB", message: { fr: `pas dans le stub : ${name}`, en: `not stubbed: ${name}` } };
        return answers[name](args ?? {});
      },
    },
    event: {
      listen: async (name, cb) => {
        (listeners[name] ??= []).push(cb);
        return () => {};
      },
    },
  };
}

const browser = await puppeteer.launch({
  executablePath: process.env.GUICHET_CHROMIUM,
  headless: true,
  userDataDir: process.env.GUICHET_PROFILE,
  defaultViewport: { width: 1280, height: 800 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const failures = [];
const checked = [];
let page = null;
try {
  page = await browser.newPage();
  page.on("pageerror", (error) => failures.push(`page error: ${error.stack ?? error.message}`));
  await page.evaluateOnNewDocument(stub, FIXTURES);
  const response = await page.goto(url, { waitUntil: "load" });
  if (!response?.ok()) throw new Error(`${url}: ${response?.status()}`);
  await page.waitForFunction(() => document.getElementById("center-name").textContent.length > 0);
  await page.addScriptTag({ content: AXE });

  const settle = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  async function axe(name) {
    await settle();
    const result = await page.evaluate(async () => {
      const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
      return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 4) }));
    });
    const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    for (const v of result) console.log(`${name}: ${v.impact} ${v.id} (${v.help}) ${v.nodes.join(", ")}`);
    if (serious.length) failures.push(`${name}: ${serious.map((v) => v.id).join(", ")}`);
    checked.push(name);
  }
  async function measure(name) {
    await settle();
    const m = await page.evaluate(() => {
      const lum = (css) => {
        const [r, g, b] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const card = document.getElementById("verdict");
      const bg = lum(getComputedStyle(card).backgroundColor);
      const ids = ["verdict-word", "verdict-amount", "verdict-serial", "verdict-message"];
      const contrast = Math.min(...ids.map((id) => ratio(lum(getComputedStyle(document.getElementById(id)).color), bg)));
      const px = (id) => parseFloat(getComputedStyle(document.getElementById(id)).fontSize);
      const chips = [...document.querySelectorAll(".status-bar .chip")].filter((c) => c.offsetParent !== null);
      return {
        bg,
        contrast,
        serial_px: px("verdict-serial"),
        message_px: px("verdict-message"),
        chip_px: Math.min(...chips.map((c) => parseFloat(getComputedStyle(c).fontSize))),
        chip_rows: new Set(chips.map((c) => Math.round(c.getBoundingClientRect().top))).size,
      };
    });
    console.log(`${name}: ${JSON.stringify(m)}`);
    if (m.contrast < 7) failures.push(`${name}: text contrast ${m.contrast.toFixed(2)}:1 < 7:1`);
    if (m.serial_px < 28 || m.message_px < 28) failures.push(`${name}: pass/reason lines under 28 px`);
    if (m.chip_px < 18 || m.chip_rows !== 1) failures.push(`${name}: chips ${m.chip_px} px on ${m.chip_rows} lines`);
    return m;
  }
  const emitScan = (result) => page.evaluate((r) => window.__guichetEmit("scan", r), result);

  // The check can fail: a button without a name is caught (then taken away).
  const caught = await page.evaluate(async () => {
    const bad = document.createElement("button");
    bad.id = "a11y-self-check";
    document.body.append(bad);
    const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
    bad.remove();
    return violations.map((v) => v.id);
  });
  if (!caught.includes("button-name")) failures.push(`axe missed a button without a name: ${caught}`);

  await axe("counter, ready");
  await emitScan(FIXTURES.accepted);
  await axe("counter, accepted");
  const accepted = await measure("accepted card");
  await emitScan(FIXTURES.duplicate);
  await measure("warning card");
  await emitScan(FIXTURES.refused);
  await axe("counter, refused");
  const refused = await measure("refused card");
  const brightness = (accepted.bg + 0.05) / (refused.bg + 0.05);
  console.log(`accepted / refused card brightness: ${brightness.toFixed(2)}:1`);
  if (brightness < 1.5) failures.push(`accepted/refused brightness ${brightness.toFixed(2)}:1 < 1.5:1`);

  // The undo question (F4 while the last checkout can be undone).
  await page.keyboard.press("F4");
  await page.waitForFunction(() => document.getElementById("confirm-dialog").open);
  await axe("undo question");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.getElementById("confirm-dialog").open);

  // The day review, through the PIN dialog.
  await page.keyboard.press("F8");
  await page.waitForFunction(() => document.getElementById("pin-dialog").open);
  await axe("PIN dialog");
  await page.evaluate(() => {
    const manager = document.getElementById("pin-role-manager");
    if (manager && !document.getElementById("pin-roles").hidden) manager.click();
    document.getElementById("pin-name").value = "Camille";
    document.getElementById("pin-input").value = "135790";
    document.getElementById("pin-submit").click();
  });
  await page.waitForFunction(() => document.body.dataset.screen === "review"
    && document.querySelectorAll("#review-lines > tr").length > 0);
  await axe("day review");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => document.body.dataset.screen === "counter");

  // The administration.
  await page.keyboard.press("F10");
  await page.waitForFunction(() => document.getElementById("pin-dialog").open);
  await page.evaluate(() => {
    const admin = document.getElementById("pin-role-admin");
    if (admin && !document.getElementById("pin-roles").hidden) admin.click();
    document.getElementById("pin-name").value = "Camille";
    document.getElementById("pin-input").value = "246810";
    document.getElementById("pin-submit").click();
  });
  await page.waitForFunction(() => document.body.dataset.screen === "admin");
  await axe("administration");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => document.body.dataset.screen === "counter");

  // English.
  await page.keyboard.press("F12");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  await emitScan(FIXTURES.refused);
  await axe("counter, English");
} catch (error) {
  failures.push(`the walk through the screens stopped: ${error.stack ?? error}`);
  const shown = await page?.evaluate(() => `${location.href} ${document.body?.dataset.screen} #error: ${document.getElementById("error")?.textContent}`).catch(() => "");
  failures.push(`at ${shown}`);
} finally {
  await browser.close();
  server.close();
}
console.log(`screens checked: ${checked.join("; ")}`);
if (failures.length) {
  console.error(`FAILED:\n${failures.join("\n")}`);
  process.exit(1);
}
