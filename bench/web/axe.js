// axe-core on each page in headless Chromium at 360 x 740: prints one JSON line per page with
// its violations. Usage: node axe.js BASE_URL PATH... (NODE_PATH holds puppeteer-core and
// axe-core; CHROME_PATH the browser).
const puppeteer = require('puppeteer-core');
const axeSource = require('fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
(async () => {
  const [base, ...paths] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  let failed = 0;
  for (const path of paths) {
    const page = await browser.newPage();
    await page.setViewport({ width: 360, height: 740, deviceScaleFactor: 2, isMobile: true });
    await page.goto(base + path, { waitUntil: 'networkidle0', timeout: 60000 });
    await page.evaluate(axeSource);
    const r = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
    const v = r.violations.map((x) => ({ id: x.id, impact: x.impact, nodes: x.nodes.length, target: x.nodes[0] && x.nodes[0].target }));
    if (v.length) failed += 1;
    console.log(JSON.stringify({ page: path, violations: v }));
    await page.close();
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
