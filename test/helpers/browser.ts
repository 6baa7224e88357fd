/**
 * Renders a page (an .svg or .html file) in a real headless Chromium and returns what the page
 * shows once laid out: for each CSS selector asked for, how many elements match and, per element,
 * its box on screen, computed colours, visibility, text, `<title>`, data-* attributes and whether
 * it is the topmost thing at its centre (drawn on top, not hidden under something else).
 *
 * How: one `chromium --headless --dump-dom` run on a temporary HTML page. An SVG file's text is
 * parsed there with the browser's XML parser (DOMParser, image/svg+xml: a malformed document is a
 * `parseError`, not silently repaired as the HTML parser would) and imported into the page; an HTML
 * file is copied with a `<base>` pointing at its own directory (its relative links still resolve)
 * and the script appended. The script measures synchronously (reading a box forces layout) and
 * writes the JSON, base64-encoded, into the DOM that Chromium prints. No DevTools protocol, no
 * downloaded browser: Debian's `chromium` (scripts/test.sh installs it when missing, as root).
 *
 * A page that renders after load (a single-page app such as Allure 3's report) is measured later:
 * `waitFor` a selector, then `actions` (click what expands a section, wait for what it shows). The
 * script then polls on timers, and Chromium runs with a virtual time budget (`--virtual-time-budget`:
 * timers fire as soon as the page is idle, and --dump-dom waits for the budget), so a wait costs no
 * wall-clock time beyond the page's own work. `hash` opens a route of the page (`#/<id>`).
 *
 * Chromium that cannot be found or started is an error naming the binary and the fix, never a skip.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MeasuredElement {
  tag: string;
  id?: string;
  /** The class attribute as written. */
  class: string;
  /** Text content, trimmed, at most `textLimit` (200) characters (an SVG element's includes its `<title>`; an iframe's is its document's). */
  text: string;
  /** The text of its own `<title>` child, if any (an SVG tooltip). */
  title?: string;
  /** getBoundingClientRect(): on screen, after transforms, in CSS px. */
  box: Box;
  /** Computed style. */
  fill: string;
  stroke: string;
  color: string;
  display: string;
  visibility: string;
  opacity: number;
  /** The element (or one of its children) is what the page shows at the centre of its box. */
  onTop: boolean;
  /** The class attribute of what the page shows at the centre of its box (itself when onTop). */
  atCentre?: string;
  /** Its data-* attributes, without the prefix. */
  data: Record<string, string>;
}

export interface RenderedPage {
  /** document.title (an inlined SVG's `<title>` does not set it). */
  title: string;
  /** Uncaught errors the page raised while loading. */
  errors: string[];
  /** The SVG file is not well-formed XML: the browser's message. */
  parseError?: string;
  /** Size of the whole document as laid out. */
  document: { width: number; height: number };
  /** Per selector name: how many elements match (all of them, even beyond `limit`). */
  counts: Record<string, number>;
  /** Per selector name: the first `limit` matching elements, measured. */
  found: Record<string, MeasuredElement[]>;
  /** With `waitFor` or `actions`: each wait in order, whether its selector matched, and how many elements each click reached. */
  waits?: { selector: string; matched: boolean; ms: number }[];
  clicks?: { selector: string; clicked: number }[];
}

/** One step of driving a page before it is measured. */
export interface PageAction {
  /** Clicks every element matching this selector (in document order). */
  click?: string;
  /** Then waits until this selector matches something (up to `waitMs`). */
  waitFor?: string;
  /** Then lets the page run this much longer (ms of virtual time), e.g. for every expanded section to load. */
  settleMs?: number;
}

export interface RenderOptions {
  /** Name -> CSS selector of the elements to measure. */
  select: Record<string, string>;
  /** Elements measured per selector (counts are always complete). Default 10,000. */
  limit?: number;
  /** Browser window (the viewport: `onTop` is only known inside it). Default 1600 x 4000. */
  window?: { width: number; height: number };
  /** Hang guard for the browser run. Default 90 s. */
  timeoutMs?: number;
  /** A fragment appended to the page's URL (an app's route, e.g. `#/0123abcd`). */
  hash?: string;
  /** Measure only once this selector matches (the page renders after load). */
  waitFor?: string;
  /** After `waitFor`: clicks and waits, in order, before measuring. */
  actions?: PageAction[];
  /** Longest each wait may take, in ms of the page's (virtual) time. Default 20,000. */
  waitMs?: number;
  /** Characters of an element's text kept in `text`. Default 200. */
  textLimit?: number;
}

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const INSTALL = 'install it with `sudo apt-get install -y chromium` (npm test installs it when run as root), or set HIL_CHROMIUM to its path';

/** The Chromium binary: $HIL_CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH. */
export function chromiumPath(): string {
  const env = process.env.HIL_CHROMIUM;
  if (env) {
    if (!executable(env)) throw new Error(`HIL_CHROMIUM=${env} is not an executable file: ${INSTALL}`);
    return env;
  }
  for (const name of CANDIDATES)
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  throw new Error(`headless Chromium not found (looked for ${CANDIDATES.join(', ')} on PATH): ${INSTALL}`);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Renders `path` (.svg or .html) in headless Chromium and measures the selected elements. */
export async function render(path: string, opts: RenderOptions): Promise<RenderedPage> {
  const file = resolve(path);
  const text = readFileSync(file, 'utf8');
  const waiting = opts.waitFor !== undefined || (opts.actions?.length ?? 0) > 0;
  const waitMs = opts.waitMs ?? 20_000;
  const spec = {
    select: opts.select,
    limit: opts.limit ?? 10_000,
    textLimit: opts.textLimit ?? 200,
    ...(waiting && { waitFor: opts.waitFor ?? null, actions: opts.actions ?? [], waitMs }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'hil-browser-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, /\.svg$/i.test(file) ? svgPage(text, spec) : htmlPage(text, file, spec));
    const win = opts.window ?? { width: 1600, height: 4000 };
    // The budget covers every wait and settle the spec may take; the page gets it only when it waits.
    const budget = waiting ? waitMs * (1 + (opts.actions?.length ?? 0)) + (opts.actions ?? []).reduce((n, a) => n + (a.settleMs ?? 0), 0) + 1000 : undefined;
    const dom = await runChromium(chromiumPath(), page, dir, win, opts.timeoutMs ?? 90_000, opts.hash, budget);
    const m = /<pre id="hil-measured">([A-Za-z0-9+/=]*)<\/pre>/.exec(dom);
    if (!m) throw new Error(`Chromium rendered ${file} but the measuring script left no result (did the page stop scripts?); DOM starts: ${dom.slice(0, 300)}`);
    return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as RenderedPage;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Records uncaught errors from the very start of the page. */
const ERRORS = `<script>window.__hilErrors=[];addEventListener('error',function(e){window.__hilErrors.push(String(e.message||e))});</script>`;

function svgPage(svgText: string, spec: object): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8">${ERRORS}<style>body{margin:0}</style></head><body><div id="hil-root"></div>` +
    `<script>${measuringScript({ ...spec, svgText })}</script></body></html>`
  );
}

function htmlPage(html: string, file: string, spec: object): string {
  const base = `<base href="${pathToFileURL(dirname(file) + '/').href}">${ERRORS}`;
  const withBase = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (h) => h + base) : base + html;
  const script = `<script>${measuringScript(spec)}</script>`;
  return /<\/body>/i.test(withBase) ? withBase.replace(/<\/body>(?![\s\S]*<\/body>)/i, `${script}</body>`) : withBase + script;
}

/**
 * The script that runs in the page. Its input is embedded as JSON with `<` escaped, so nothing in a
 * selector or in the SVG text can close the script element.
 */
function measuringScript(spec: object): string {
  const input = JSON.stringify(spec)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `(function(){
var spec=${input};
var out={title:document.title,errors:[],counts:{},found:{}};
if(spec.svgText!==undefined){
  var doc=new DOMParser().parseFromString(spec.svgText,'image/svg+xml');
  var bad=doc.getElementsByTagName('parsererror')[0];
  if(bad) out.parseError=bad.textContent;
  else document.getElementById('hil-root').appendChild(document.importNode(doc.documentElement,true));
}
var r2=function(v){return Math.round(v*100)/100;};
var measure=function(el){
  var r=el.getBoundingClientRect(), cs=getComputedStyle(el), data={};
  for(var i=0;i<el.attributes.length;i++){var a=el.attributes[i]; if(a.name.indexOf('data-')===0) data[a.name.slice(5)]=a.value;}
  var t=null; for(var c=el.firstElementChild;c;c=c.nextElementSibling){ if(c.localName==='title'){t=c.textContent;break;} }
  var cx=r.left+r.width/2, cy=r.top+r.height/2, hit=(r.width>0&&r.height>0)?document.elementFromPoint(cx,cy):null;
  // An iframe's text is its document's (a report's description is a srcdoc frame).
  var txt=el.localName==='iframe'?((el.contentDocument&&el.contentDocument.body&&el.contentDocument.body.textContent)||''):(el.textContent||'');
  var m={tag:el.localName,class:el.getAttribute('class')||'',text:txt.trim().slice(0,spec.textLimit),
    box:{x:r2(r.left+scrollX),y:r2(r.top+scrollY),width:r2(r.width),height:r2(r.height)},
    fill:cs.fill,stroke:cs.stroke,color:cs.color,display:cs.display,visibility:cs.visibility,opacity:Number(cs.opacity),
    onTop:!!hit&&(hit===el||el.contains(hit)),data:data};
  if(el.id) m.id=el.id; if(t!==null) m.title=t; if(hit) m.atCentre=hit.getAttribute('class')||'';
  return m;
};
var finish=function(){
  out.title=document.title; out.errors=window.__hilErrors||[];
  for(var name in spec.select){
    var all=document.querySelectorAll(spec.select[name]);
    out.counts[name]=all.length;
    out.found[name]=Array.prototype.slice.call(all,0,spec.limit).map(measure);
  }
  var de=document.documentElement; out.document={width:de.scrollWidth,height:de.scrollHeight};
  var json=JSON.stringify(out), bytes=new TextEncoder().encode(json), bin='';
  for(var j=0;j<bytes.length;j+=8192) bin+=String.fromCharCode.apply(null,bytes.subarray(j,j+8192));
  var pre=document.createElement('pre'); pre.id='hil-measured'; pre.textContent=btoa(bin); document.body.appendChild(pre);
};
if(spec.actions===undefined){ finish(); return; }
out.waits=[]; out.clicks=[];
var wait=function(sel,then){
  if(!sel) return then();
  var ms=0;
  var poll=function(){
    var hit=!!document.querySelector(sel);
    if(hit||ms>=spec.waitMs){ out.waits.push({selector:sel,matched:hit,ms:ms}); return then(); }
    ms+=50; setTimeout(poll,50);
  };
  poll();
};
var step=function(i){
  if(i>=spec.actions.length) return finish();
  var a=spec.actions[i];
  if(a.click){
    var els=document.querySelectorAll(a.click);
    for(var k=0;k<els.length;k++) els[k].click();
    out.clicks.push({selector:a.click,clicked:els.length});
  }
  wait(a.waitFor,function(){ setTimeout(function(){ step(i+1); },a.settleMs||0); });
};
var start=function(){ wait(spec.waitFor,function(){ step(0); }); };
if(document.readyState==='complete') setTimeout(start,0); else addEventListener('load',function(){ setTimeout(start,0); });
})();`;
}

/**
 * One headless Chromium run that prints the DOM after load. Its own profile directory (parallel runs
 * never share one) and its own process group, ended on the way out: a hung browser is killed with
 * every renderer it started.
 */
function runChromium(bin: string, page: string, dir: string, win: { width: number; height: number }, timeoutMs: number, hash?: string, virtualTimeBudgetMs?: number): Promise<string> {
  const args = [
    '--headless',
    // Root in a container has no user namespace for the sandbox; the page is our own file.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--hide-scrollbars',
    `--user-data-dir=${join(dir, 'profile')}`,
    `--window-size=${win.width},${win.height}`,
    ...(virtualTimeBudgetMs !== undefined ? [`--virtual-time-budget=${Math.ceil(virtualTimeBudgetMs)}`] : []),
    '--dump-dom',
    pathToFileURL(page).href + (hash ? (hash.startsWith('#') ? hash : `#${hash}`) : ''),
  ];
  return new Promise((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new Error(`headless Chromium (${bin}) could not start: ${(err as Error).message}; ${INSTALL}`, { cause: err }));
      return;
    }
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`headless Chromium (${bin}) did not finish rendering ${page} within ${timeoutMs} ms; stderr: ${err.trim().slice(-1000)}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`headless Chromium (${bin}) could not start: ${e.message}; ${INSTALL}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      const dom = Buffer.concat(out).toString('utf8');
      if (code !== 0 || !dom.includes('<html')) {
        reject(new Error(`headless Chromium (${bin}) failed (${signal ? `signal ${signal}` : `exit ${code}`}) rendering ${page}; stderr: ${err.trim().slice(-1500) || '(none)'}`));
        return;
      }
      resolvePromise(dom);
    });
  });
}
