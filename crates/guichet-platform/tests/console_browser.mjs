// console_browser.mjs — the operator's console in headless Debian Chromium, run by
// console_browser.rs against a real platform on loopback: logs in by keyboard with the
// password and a TOTP code computed here (RFC 6238), opens privilege mode, disables a kiosk by
// its row's form with a reason, closes last month from the report, revokes a booklet, makes an enrollment code, reads what the next bundle changes, edits the referential; as a center's member, declares a workshop and the center's qualification data; searches the public finder on a phone-sized screen; visits every page (and the English ones), runs axe-core on
// each, and saves a screenshot of each. Uses the npm packages of tests/a11y
// ($GUICHET_A11Y). Exit status 1 on any axe violation or a step that fails.

import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.env.GUICHET_A11Y, "package.json"));
const puppeteer = require("puppeteer-core");
const AXE = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
const BASE = process.env.GUICHET_CONSOLE_URL;
const NAME = process.env.GUICHET_ACCOUNT;
const PASSWORD = process.env.GUICHET_PASSWORD;
const SECRET = process.env.GUICHET_TOTP_SECRET;
const DEVICE = process.env.GUICHET_DEVICE;
const REVIEWER = process.env.GUICHET_REVIEWER;
const REVIEWER_SECRET = process.env.GUICHET_REVIEWER_SECRET;
const SHOTS = process.env.GUICHET_SCREENSHOTS_DIR;
const BOOKLET = process.env.GUICHET_BOOKLET;
const MEMBER = process.env.GUICHET_CENTER_MEMBER;
const MEMBER_SECRET = process.env.GUICHET_CENTER_MEMBER_SECRET;

/** RFC 4648 base32 without padding, to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 (SHA-1, 30 s, 6 digits) of `secret` at `steps` steps from now. */
function totp(steps, secret = SECRET) {
  const counter = Math.floor(Date.now() / 1000 / 30) + steps;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", base32(secret)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

const browser = await puppeteer.launch({
  executablePath: process.env.GUICHET_CHROMIUM,
  headless: true,
  userDataDir: process.env.GUICHET_PROFILE,
  defaultViewport: { width: 1280, height: 800 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const failures = [];
const checked = [];
let page = null;
try {
  page = await browser.newPage();
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));

  /** axe-core on the page as it is: any violation fails. */
  async function axe(name) {
    // Through the DevTools protocol: the page's own policy (no script at all) stays on.
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
      return violations.map((v) => `${v.impact} ${v.id} (${v.help}) ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
    });
    for (const v of violations) console.log(`${name}: ${v}`);
    if (violations.length) failures.push(`${name}: ${violations.length} axe violation(s)`);
    checked.push(name);
  }
  async function shot(name) {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
  }
  /** Presses Tab until the focused element matches `test` (at most 80 times). */
  async function tabTo(description, test, ...args) {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(test, ...args)) return;
    }
    throw new Error(`Tab never reached ${description}`);
  }
  /** Waits until the field `id` has the focus (autofocus lands after the page loads). */
  async function focused(id) {
    await page.waitForFunction((id) => document.activeElement?.id === id, { timeout: 5000 }, id);
  }
  /** Enter on the focused element, waiting for the page it loads. */
  async function enter() {
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  }
  const focusedText = () => document.activeElement?.textContent?.trim() ?? "";
  const heading = () => page.evaluate(() => document.querySelector("h1")?.textContent ?? "");

  // Login: the name field has the focus; password; Enter.
  await page.goto(`${BASE}/console/login`, { waitUntil: "load" });
  // The check can fail: a button without a name is caught (then taken away).
  await page.evaluate(AXE);
  const caught = await page.evaluate(async () => {
    const bad = document.createElement("button");
    document.body.append(bad);
    const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
    bad.remove();
    return violations.map((v) => v.id);
  });
  if (!caught.includes("button-name")) failures.push(`axe missed a button without a name: ${caught}`);
  await axe("login");
  await shot("1-login");
  await focused("name");
  await page.keyboard.type(NAME);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await enter();
  if (!page.url().endsWith("/console/login/code")) throw new Error(`after the password: ${page.url()} ${await heading()}`);
  await axe("second factor");
  await focused("code");
  await page.keyboard.type(totp(0));
  await enter();
  if (!page.url().endsWith("/console")) throw new Error(`after the code: ${page.url()} ${await heading()}`);
  await axe("dashboard");
  const figures = await page.evaluate(() => ["today", "month", "waiting"].map((id) => document.getElementById(id).firstChild.textContent.trim()));
  if (figures.join(" ") !== "1 1 1") failures.push(`dashboard today, month, waiting: ${figures}`);
  await shot("2-dashboard");

  // The kiosks, through the navigation.
  await tabTo("the Bornes link", () => document.activeElement?.textContent === "Bornes");
  await enter();
  await axe("kiosks");
  // Privilege mode, from the page's own link; the next time step's code (this one is used).
  await tabTo("the privilege link", () => document.activeElement?.getAttribute("href")?.startsWith("/console/privilege"));
  await enter();
  await axe("privilege mode");
  await shot("3-privilege");
  await focused("password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await page.keyboard.type(totp(1));
  await enter();
  if (!page.url().endsWith("/console/devices")) throw new Error(`after privilege: ${page.url()} ${await heading()}`);
  // Disable the kiosk from its own row: its reason field, then its button.
  await tabTo("the kiosk's reason", (id) => document.activeElement?.id === `reason-${id}`, DEVICE);
  await page.keyboard.type("Borne volée, plainte déposée");
  await page.keyboard.press("Tab");
  const button = await page.evaluate(focusedText);
  if (!button.startsWith("Désactiver")) throw new Error(`Tab after the reason reached ${button}`);
  await enter();
  const state = await page.evaluate((id) => document.querySelector(`[id="device-${id}"] td.state`)?.textContent, DEVICE);
  if (state?.trim() !== "désactivée") failures.push(`the kiosk's row says ${state}`);
  await axe("kiosks, one disabled");
  await shot("4-devices");

  // Review and audit log, through the navigation.
  await tabTo("the Revue link", () => document.activeElement?.textContent === "Revue");
  await enter();
  await axe("review, read only");
  await tabTo("the audit link", () => document.activeElement?.textContent === "Journal d'audit");
  await enter();
  await axe("audit log");
  await shot("6-audit");
  const logged = await page.evaluate(() => document.querySelector("#audit tbody tr")?.textContent ?? "");
  if (!logged.includes("device.disable")) failures.push(`the audit page's first row: ${logged}`);

  // Reports: this month's, then last month's, closed from its page (privilege mode is open).
  await tabTo("the Rapports link", () => document.activeElement?.textContent === "Rapports");
  await enter();
  await axe("report of this month");
  await shot("8-report");
  const total = await page.evaluate(() => document.getElementById("total-coupons")?.textContent);
  if (total !== "1") failures.push(`the report's total of coupons: ${total}`);
  await tabTo("the previous month", () => document.activeElement?.textContent === "Mois précédent");
  await enter();
  await tabTo("the closing button", () => document.activeElement?.textContent?.startsWith("Clore le mois"));
  await enter();
  const closed = await page.evaluate(() => document.getElementById("closed")?.textContent ?? "");
  if (!closed.startsWith("Mois clos le")) failures.push(`after closing, the page says ${closed}`);
  await axe("report of a closed month");
  await shot("8b-month-closed");

  // Booklets: the kiosk's booklet by its number, revoked whole with a reason.
  await tabTo("the Carnets link", () => document.activeElement?.textContent === "Carnets");
  await enter();
  await focused("q");
  await page.keyboard.type(BOOKLET);
  await enter();
  await axe("booklet");
  await tabTo("the revocation's reason", () => document.activeElement?.id === "reason");
  await page.keyboard.type("Carnet volé au centre");
  await page.keyboard.press("Tab");
  const revoke = await page.evaluate(focusedText);
  if (revoke !== "Révoquer ces coupons") throw new Error(`Tab after the reason reached ${revoke}`);
  await enter();
  const [revoked, coupons] = await page.evaluate(() => {
    const states = [...document.querySelectorAll("#coupons td.state")];
    return [states.filter((td) => td.textContent.includes("révoqué")).length, states.length];
  });
  if (coupons < 5 || revoked !== coupons) failures.push(`${revoked} of ${coupons} coupon(s) shown revoked`);
  await axe("booklet, revoked");
  await shot("9-booklet");

  // Centers: the list, center C1's page, an enrollment code shown on screen.
  await tabTo("the Centres link", () => document.activeElement?.textContent === "Centres");
  await enter();
  await axe("centers, zones, providers");
  await shot("10-centers");
  await tabTo("center C1's link", () => document.activeElement?.getAttribute("href") === "/console/centers/C1");
  await enter();
  await axe("center C1");
  await tabTo("the code button", () => document.activeElement?.value === "page");
  await enter();
  const code = await page.evaluate(() => document.getElementById("code")?.textContent ?? "");
  if (!/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(code)) failures.push(`the enrollment code shown: ${code}`);
  await axe("enrollment code");
  await shot("11-enrollment-code");

  // Bundles: the history and what the next one changes (the revocation just made).
  await tabTo("the Paquets link", () => document.activeElement?.textContent === "Paquets");
  await enter();
  const listed = await page.evaluate(() => document.getElementById("changes")?.textContent ?? "");
  if (!listed.includes("révoque")) failures.push(`the next bundle's changes, in French: ${listed}`);
  await axe("keys and bundles");
  await shot("12-bundles");

  // The referential: its areas and services; an edit by keyboard in its CSV text (privilege
  // mode is open). A service in no area is refused, nothing changed; a good one is saved.
  await tabTo("the Référentiel link", () => document.activeElement?.textContent === "Référentiel");
  await enter();
  await axe("referential");
  await shot("13-referential");
  async function editReferential(version, line) {
    await tabTo("the referential's version", () => document.activeElement?.id === "ref-version");
    await page.keyboard.down("Control");
    await page.keyboard.press("KeyA");
    await page.keyboard.up("Control");
    await page.keyboard.type(version);
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.id)) !== "ref-text") throw new Error("Tab after the version did not reach the text");
    await page.keyboard.down("Control");
    await page.keyboard.press("End");
    await page.keyboard.up("Control");
    await page.keyboard.type(`${line}\n`);
    await tabTo("the save button", () => document.activeElement?.textContent === "Vérifier et enregistrer");
    await enter();
  }
  await editReferential("console-essai-1", "service,9.9.01,Hors domaine,Out of any area");
  const refused = await page.evaluate(() => document.getElementById("refused")?.textContent ?? "");
  if (!refused.startsWith("Référentiel refusé, rien n'a changé")) failures.push(`a bad referential: ${refused}`);
  const kept = await page.evaluate(() => document.getElementById("ref-text")?.value ?? "");
  if (!kept.includes("service,9.9.01,Hors domaine")) failures.push("the refused text was not kept for correction");
  await axe("referential, refused");
  await tabTo("the Référentiel link", () => document.activeElement?.textContent === "Référentiel");
  await enter();
  await editReferential("console-essai-2", "service,2.2.99,Déclarer ses impôts en ligne,Filing taxes online");
  if (!page.url().endsWith("/console/referential")) throw new Error(`after saving the referential: ${page.url()} ${await heading()}`);
  const saved = await page.evaluate(() => [document.getElementById("version")?.textContent.trim(), document.getElementById("area-2.2")?.textContent ?? ""]);
  if (saved[0] !== "console-essai-2" || !saved[1].includes("Déclarer ses impôts en ligne")) failures.push(`the referential saved: ${saved}`);
  await axe("referential, edited");

  // English, by the switch.
  await tabTo("the English switch", () => document.activeElement?.getAttribute("hreflang") === "en");
  await enter();
  if ((await page.evaluate(() => document.documentElement.lang)) !== "en") failures.push("the switch did not give English");
  await axe("referential, English, by the switch");
  for (const [link, name] of [["Centers", "centers, English"], ["Referential", "referential, English"], ["Booklets", "booklets, English"], ["Bundles", "bundles, English"]]) {
    await tabTo(`the ${link} link`, (text) => document.activeElement?.textContent === text, link);
    await enter();
    await axe(name);
  }
  await tabTo("the Kiosks link", () => document.activeElement?.textContent === "Kiosks");
  await enter();
  await axe("kiosks, English");
  await shot("7-devices-en");
  await tabTo("the Dashboard link", () => document.activeElement?.textContent === "Dashboard");
  await enter();
  await axe("dashboard, English");

  // Log out by keyboard.
  await tabTo("the logout button", () => document.activeElement?.textContent === "Log out");
  await enter();
  if (!page.url().endsWith("/console/login")) failures.push(`after logout: ${page.url()}`);

  // The reviewer rejects the held redemption, by keyboard: the radio, the reason, the button.
  await focused("name");
  await page.keyboard.type(REVIEWER);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await enter();
  await focused("code");
  await page.keyboard.type(totp(0, REVIEWER_SECRET));
  await enter();
  await tabTo("the Review link", () => document.activeElement?.textContent === "Review");
  await enter();
  await axe("review, English, with the decision form");
  await tabTo("the French switch", () => document.activeElement?.getAttribute("hreflang") === "fr");
  await enter();
  await axe("review, with the decision form");
  await shot("5-review");
  async function reject(reason) {
    await tabTo("the first decision", () => document.activeElement?.name === "decision");
    await page.keyboard.press("ArrowDown");
    const chosen = await page.evaluate(() => document.activeElement.value + " " + document.activeElement.checked);
    if (chosen !== "reject true") throw new Error(`ArrowDown chose ${chosen}`);
    await page.keyboard.press("Tab");
    await page.keyboard.type(reason);
    await page.keyboard.press("Tab");
    await enter();
  }
  // Without privilege mode: refused, with the way to it.
  await reject("Date impossible : 2099");
  await axe("privilege mode needed");
  await tabTo("the identity link", () => document.activeElement?.getAttribute("href")?.startsWith("/console/privilege"));
  await enter();
  await focused("password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await page.keyboard.type(totp(1, REVIEWER_SECRET));
  await enter();
  if (!page.url().endsWith("/console/review")) throw new Error(`after privilege: ${page.url()} ${await heading()}`);
  await reject("Date impossible : 2099");
  const left = await page.evaluate(() => document.querySelectorAll("section.review").length);
  if (left !== 0) failures.push(`${left} redemption(s) still waiting after the decision`);
  await axe("review, nothing waiting");

  // A member of center C1, in a browser of their own: they land on their center's page, see
  // its kiosk and today's pass, no operator page in the navigation, and are refused one typed.
  const context = await browser.createBrowserContext();
  page = await context.newPage();
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));
  await page.goto(`${BASE}/console/login`, { waitUntil: "load" });
  await focused("name");
  await page.keyboard.type(MEMBER);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await enter();
  await focused("code");
  await page.keyboard.type(totp(0, MEMBER_SECRET));
  await enter();
  if (!page.url().endsWith("/console/center")) throw new Error(`a center member landed on ${page.url()} ${await heading()}`);
  await axe("my center");
  await shot("14-center");
  const links = await page.evaluate(() => [...document.querySelectorAll("nav a")].map((a) => a.textContent.trim()));
  if (links.join(",") !== "Mon centre,Ateliers,Qualification") failures.push(`a center member's navigation: ${links}`);
  const rows = await page.evaluate(() => [...document.querySelectorAll("#redemptions tbody tr")].map((tr) => tr.textContent.replace(/\s+/g, " ").trim()));
  if (rows.length !== 1 || !rows[0].includes("n° 1") || !rows[0].includes("accepté")) failures.push(`a center member's redemptions: ${JSON.stringify(rows)}`);
  const kiosks = await page.evaluate(() => document.querySelectorAll("#kiosks tbody tr").length);
  if (kiosks !== 1) failures.push(`a center member's kiosks: ${kiosks}`);
  // Last month, by the keyboard: its link, then the month field and Enter.
  await tabTo("the previous month link", () => document.activeElement?.textContent === "Mois précédent");
  await enter();
  await axe("my center, last month");

  // Their workshops: one declared by keyboard (name, area by the arrow keys, length, Enter).
  await tabTo("the Ateliers link", () => document.activeElement?.textContent === "Ateliers");
  await enter();
  await axe("workshops, none declared");
  await tabTo("the workshop's name", () => document.activeElement?.id === "workshop-name");
  await page.keyboard.type("Découvrir sa messagerie");
  await page.keyboard.press("Tab");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const area = await page.evaluate(() => document.activeElement?.value);
  if (area !== "2.1") failures.push(`the area chosen by the arrow keys: ${area}`);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  if ((await page.evaluate(() => document.activeElement?.id)) !== "workshop-minutes") throw new Error("Tab did not reach the workshop's length");
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.type("90");
  await enter();
  const workshops = await page.evaluate(() => [...document.querySelectorAll("#workshops tbody tr")].map((tr) => tr.textContent.replace(/\s+/g, " ").trim()));
  if (workshops.length !== 1 || !workshops[0].includes("Découvrir sa messagerie") || !workshops[0].includes("90")) failures.push(`the workshops listed: ${JSON.stringify(workshops)}`);
  await axe("workshops");
  await shot("15-workshops");

  // Their qualification data: privilege mode from the page's link, then the form by keyboard.
  await tabTo("the Qualification link", () => document.activeElement?.textContent === "Qualification");
  await enter();
  await axe("qualification, nothing declared");
  await tabTo("the identity link", () => document.activeElement?.getAttribute("href")?.startsWith("/console/privilege"));
  await enter();
  await focused("password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await page.keyboard.type(totp(1, MEMBER_SECRET));
  await enter();
  if (!page.url().endsWith("/console/center/profile")) throw new Error(`after privilege: ${page.url()} ${await heading()}`);
  await tabTo("the legal name", () => document.activeElement?.id === "legal-name");
  for (const value of ["Association Médiathèque Nord", "120 001 011 00010", "FR76 3000 6000 0112 3456 7890 189", "12 rue des Lilas", "33800", "Bordeaux"]) {
    await page.keyboard.type(value);
    await page.keyboard.press("Tab");
  }
  if ((await page.evaluate(() => document.activeElement?.textContent)) !== "Enregistrer") throw new Error("Tab after the town did not reach the save button");
  await enter();
  const status = await page.evaluate(() => document.getElementById("qualification")?.textContent ?? "");
  if (!status.includes("en attente de vérification")) failures.push(`the qualification after saving: ${status}`);
  await axe("qualification, declared");
  await shot("16-qualification");
  const operator = await page.goto(`${BASE}/console/devices`, { waitUntil: "load" });
  if (operator.status() !== 403) failures.push(`a center member got the kiosks page: ${operator.status()}`);
  await axe("an operator page, refused to a center member");
  await page.goto(`${BASE}/console/lang/en?back=/console/center`, { waitUntil: "load" });
  await axe("my center, English");

  // The public finder, without an account, on a phone-sized screen: a search by keyboard.
  const visitor = await browser.createBrowserContext();
  page = await visitor.newPage();
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));
  await page.setViewport({ width: 375, height: 740, isMobile: true, hasTouch: true });
  await page.goto(`${BASE}/trouver`, { waitUntil: "load" });
  await axe("public finder, phone");
  await tabTo("the postcode field", () => document.activeElement?.id === "code_postal");
  await page.keyboard.type("33");
  await enter();
  const places = await page.evaluate(() => [...document.querySelectorAll("li.place")].map((li) => li.id));
  if (places.join(",") !== "place-C2") failures.push(`the places found for 33: ${places}`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 375) failures.push(`the finder is ${wide} px wide on a 375 px screen`);
  await axe("public finder, searched, phone");
  await shot("17-finder-phone");
  await tabTo("the English link", () => document.activeElement?.textContent === "English");
  await enter();
  if (!page.url().includes("code_postal=33") || !page.url().includes("lang=en")) failures.push(`the English finder lost the search: ${page.url()}`);
  await axe("public finder, English, phone");
} catch (error) {
  failures.push(`the walk stopped: ${error.stack ?? error}`);
  const where = await page?.evaluate(() => `${location.href}: ${document.querySelector("main")?.textContent}`).catch(() => "");
  failures.push(`at ${where}`);
} finally {
  await browser.close();
}
console.log(`pages checked: ${checked.join("; ")}`);
if (failures.length) {
  console.error(`FAILED:\n${failures.join("\n")}`);
  process.exit(1);
}
