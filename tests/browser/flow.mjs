// The whole triage flow in headless Chromium, driven by playwright-core against a presswatch server
// started by tests/integration/browser.rs. Usage:
//   node flow.mjs BASE_URL '{"bien-dao": 1, "hostile": 3}' SCREENSHOT_DIR
// Exits non-zero with a message on the first thing that does not work.
import { chromium } from "playwright-core";

const [base, idsJson, shots] = process.argv.slice(2);
const ids = JSON.parse(idsJson);
const password = process.env.PW_PASSWORD;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // the machine's network is closed: keep Chromium from reaching for Google's hosts
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const failures = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("dialog", (d) => d.accept());
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  const shot = async (name) => shots && (await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }));

  const login = async (name) => {
    await page.goto(`${base}/login`);
    await page.fill('input[name="name"]', name);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(/\/(search|overview)/), page.click('#login button[type="submit"]')]);
  };
  const logout = async () => {
    await Promise.all([page.waitForURL(/\/login/), page.click("header form[action='/logout'] button")]);
  };

  // an analyst: anonymous visits go to the login page first
  await page.goto(`${base}/search`);
  check(page.url().includes("/login"), `not sent to login: ${page.url()}`);
  await shot("login");
  await login("analyst");
  await shot("search-today");

  // search without diacritics
  await page.fill('input[name="q"]', "bien dao");
  await Promise.all([page.waitForURL(/q=bien\+dao/), page.press('input[name="q"]', "Enter")]);
  const first = page.locator("ol.hits li.hit a.title").first();
  check((await first.textContent()).includes("Ngư dân Cần Giờ nói về biển đảo"), "search without diacritics did not find the article");
  check((await page.locator("ol.hits mark").count()) > 0, "no highlighted words");
  await shot("search-results");

  // open the article and flag it
  await Promise.all([page.waitForURL(/\/articles\/\d+/), first.click()]);
  check((await page.textContent("#article-title")).includes("biển đảo"), "article title");
  await shot("article");
  await page.fill('#flag-form textarea[name="reason"]', "Bài viết có thông tin cần làm rõ về Cần Giờ");
  await page.selectOption('#flag-form select[name="priority"]', "high");
  await Promise.all([page.waitForURL(/\/queue\/\d+$/), page.click('#flag-form button[type="submit"]')]);
  const itemUrl = page.url();
  check((await page.getAttribute("#item-state", "data-state")) === "new", "flagged item is not new");
  await logout();

  // triage staff work it through to the end
  await login("triage");
  await page.goto(itemUrl);
  const act = async (action, fill) => {
    const form = page.locator(`form.action[data-action="${action}"]`);
    if (fill) await fill(form);
    await Promise.all([page.waitForURL(itemUrl), page.waitForLoadState("load"), form.locator('button[type="submit"]').click()]);
  };
  await act("start_review");
  check((await page.getAttribute("#item-state", "data-state")) === "in_review", "review did not start");
  // "Kiểm tra lại ngay" answers on the page, without leaving it
  await page.click("#recheck button");
  await page.waitForFunction(() => (document.getElementById("recheck-status") || {}).textContent);
  check(page.url() === itemUrl, `the re-check left the page: ${page.url()}`);
  check((await page.textContent("#recheck-status")).length > 0, "the re-check said nothing");
  await act("assign", async (f) => {
    await f.locator('select[name="agency"]').selectOption("cong-an");
    await f.locator('select[name="assignee"]').selectOption({ label: "triage" });
    await f.locator('input[name="due"]').fill("31/12/2026"); // as people here write days
  });
  check((await page.getAttribute("#item-state", "data-state")) === "assigned", "not assigned");
  await act("respond", async (f) => {
    await f.locator('input[name="response_url"]').fill("https://ubnd.example/thong-cao-bao-chi");
    await f.locator('textarea[name="response_text"]').fill("Sở Thông tin đã có văn bản trả lời.");
  });
  check((await page.textContent("#item-response")).includes("thong-cao-bao-chi"), "response not shown");
  await act("close");
  check((await page.getAttribute("#item-state", "data-state")) === "closed", "not closed");
  await shot("queue-item");
  // a foreign title: triage staff write its Vietnamese gloss on the article, flag it, and the queue
  // shows the gloss under the original
  await page.goto(`${base}/articles/${ids.foreign}`);
  await page.fill('#gloss-form input[name="title_vi"]', "Tàu cá bị giữ gần quần đảo");
  await Promise.all([page.waitForURL(/\/articles\/\d+$/), page.click('#gloss-form button[type="submit"]')]);
  check((await page.textContent("#title-gloss")).includes("Tàu cá bị giữ gần quần đảo"), "the gloss is not shown on the article");
  await page.fill('#flag-form textarea[name="reason"]', "Báo nước ngoài đưa tin về tàu cá");
  await Promise.all([page.waitForURL(/\/queue\/\d+$/), page.click('#flag-form button[type="submit"]')]);
  await page.goto(`${base}/queue?state=all`);
  const gloss = page.locator("table.queue [data-gloss]");
  check((await gloss.count()) === 1 && (await gloss.isVisible()), "the queue does not show the gloss");
  check((await gloss.textContent()) === "Tàu cá bị giữ gần quần đảo", "the queue's gloss line is wrong");
  await shot("queue");
  await logout();

  // an admin sees every step in the audit log
  await login("admin");
  await page.goto(`${base}/admin/audit`);
  for (const a of ["queue.create", "queue.start_review", "queue.assign", "queue.respond", "queue.close"]) {
    check((await page.locator(`tr[data-action="${a}"]`).count()) > 0, `audit log lacks ${a}`);
  }
  await shot("audit");
  await page.goto(`${base}/admin/sources`);
  await shot("sources");
  // on a phone the Sources page scrolls its table, not the page (it was 1,869 px wide)
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(wide <= 1, `the Sources page is wider than a phone by ${wide}px`);
  await shot("sources-phone");
  await page.setViewportSize({ width: 1280, height: 900 });

  // hostile crawled content runs nothing, on the article page and in results
  await page.goto(`${base}/articles/${ids.hostile}`);
  await page.waitForLoadState("load");
  check((await page.textContent("#article-text")).includes("<script>"), "the script tag should be visible as text");
  check((await page.evaluate(() => window.__pwned)) === undefined, "crawled script ran on the article page");
  check((await page.locator('a[href^="javascript:"]').count()) === 0, "a javascript: link was rendered");
  await page.goto(`${base}/search?q=Can+Gio&sort=date`);
  check((await page.evaluate(() => window.__pwned)) === undefined, "crawled script ran on the results page");

  await logout();

  // a leader lands on the overview: figures, a chart per sensitive topic, the stories, no crawled script
  await login("leader");
  check(page.url().endsWith("/overview"), `a leader should land on the overview: ${page.url()}`);
  check((await page.locator(".ov-chart svg").count()) === 6, "one chart per sensitive topic");
  check((await page.textContent(".ov-stories")).includes("Ngư dân Cần Giờ nói về biển đảo"), "the overview lists the story");
  check((await page.evaluate(() => window.__pwned)) === undefined, "crawled script ran on the overview");
  await shot("overview");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the overview is wider than a phone by ${overflow}px`);
  await shot("overview-phone");
  await page.setViewportSize({ width: 1280, height: 900 });

  // a leader writes a report for the last days on demand and reads it: no crawled script runs in it
  await page.goto(`${base}/reports`);
  // dd/mm/yyyy, as the form asks
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10).split("-").reverse().join("/");
  const range = page.locator("form.report-form").nth(1);
  await range.locator("input[name=from]").fill(day(-8));
  await range.locator("input[name=to]").fill(day(1));
  await Promise.all([page.waitForURL(/\/reports\/\d+$/), range.locator("button[type=submit]").click()]);
  await page.waitForLoadState("load");
  const report = await page.textContent("body");
  check(report.includes("BÁO CÁO") && report.includes("Ngư dân Cần Giờ nói về biển đảo"), "report page lacks its content");
  check((await page.evaluate(() => window.__pwned)) === undefined, "crawled script ran in the report");
  await shot("report");
  await page.goto(`${base}/reports`);
  check((await page.locator("tr[data-report]").count()) === 1, "the new report is not listed");
  await shot("reports");

  // a phone screen, in English
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/lang?to=en&back=/search?q=bien+dao`);
  check((await page.textContent("header nav")).includes("Review queue"), "English interface");
  await shot("search-phone-en");
  // the queue on a phone: each cell says what it is
  await page.goto(`${base}/queue?state=all`);
  const label = await page.evaluate(() => {
    const td = document.querySelector("table.queue td[data-label]");
    return td ? getComputedStyle(td, "::before").content : "";
  });
  check(label.includes(":"), `queue cells on a phone are not labelled: ${label}`);
  check(!(await page.content()).includes('value="None"'), "an empty filter shows the word None");
  await shot("queue-phone-en");
} catch (e) {
  failures.push(e.stack || String(e));
  if (page) {
    const text = await page.evaluate(() => document.body && document.body.innerText).catch(() => "");
    failures.push(`at ${page.url()}: ${String(text).slice(0, 600)}`);
  }
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("browser flow ok");
