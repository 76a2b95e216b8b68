/** The XSS corpus (issue 10): payloads for message bodies, names, room names and topics.
 * Each, if it ran, would call `window.xssTrap(1)` (or alert/confirm/prompt, which the test
 * also traps), so a single execution anywhere is counted. */

const RUN = "xssTrap(1)";

/** Classic vectors: tags, handlers, SVG, URLs with scripts, parser confusion. */
const BASE = [
  `<script>${RUN}</script>`,
  `<SCRIPT SRC=//x.invalid/x.js></SCRIPT>`,
  `<script>alert(1)</script>`,
  `<img src=x onerror=${RUN}>`,
  `<img src="x" onerror="${RUN}">`,
  `<IMG SRC=JaVaScRiPt:${RUN}>`,
  `<img src=x:x onerror=alert(1)//`,
  `<svg onload=${RUN}>`,
  `<svg><script>${RUN}</script></svg>`,
  `<svg><animate onbegin=${RUN} attributeName=x dur=1s>`,
  `<svg><a xlink:href="javascript:${RUN}"><text x=20 y=20>X</text></a></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${RUN}>`,
  `<body onload=${RUN}>`,
  `<iframe src="javascript:${RUN}"></iframe>`,
  `<iframe srcdoc="<script>parent.${RUN}</script>"></iframe>`,
  `<object data="javascript:${RUN}"></object>`,
  `<embed src="javascript:${RUN}">`,
  `<video><source onerror=${RUN}></video>`,
  `<audio src=x onerror=${RUN}>`,
  `<details open ontoggle=${RUN}>`,
  `<input autofocus onfocus=${RUN}>`,
  `<select autofocus onfocus=${RUN}>`,
  `<textarea autofocus onfocus=${RUN}>`,
  `<marquee onstart=${RUN}>`,
  `<div style="background:url(javascript:${RUN})">`,
  `<style>@import 'javascript:${RUN}';</style>`,
  `<link rel=stylesheet href="javascript:${RUN}">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${RUN}">`,
  `<base href="javascript:${RUN}//">`,
  `<form action="javascript:${RUN}"><button>x</button></form>`,
  `<a href="javascript:${RUN}">click</a>`,
  `<a href="&#106;avascript:${RUN}">entity</a>`,
  `<a href="jav&#x09;ascript:${RUN}">tab</a>`,
  `<a href=" javascript:${RUN}">space</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>`,
  `"><script>${RUN}</script>`,
  `'><img src=x onerror=${RUN}>`,
  `</textarea><script>${RUN}</script>`,
  `</title><script>${RUN}</script>`,
  `</noscript><script>${RUN}</script>`,
  `</li></ul><script>${RUN}</script>`,
  `</style><script>${RUN}</script>`,
  `<!--<img src="--><img src=x onerror=${RUN}//">`,
  `<![CDATA[<script>${RUN}</script>]]>`,
  `<scr<script>ipt>${RUN}</scr</script>ipt>`,
  `<<script>${RUN}//<</script>`,
  `<template><script>${RUN}</script></template>`,
  `<noscript><p title="</noscript><img src=x onerror=${RUN}>">`,
  `<x onclick=${RUN} style=display:block;position:fixed;inset:0>cover</x>`,
  `<a id=x tabindex=1 onfocusin=${RUN}>`,
  `\${${RUN}}`,
  `{{constructor.constructor('${RUN}')()}}`,
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `data:text/html,<script>${RUN}</script>`,
  `vbscript:msgbox(1)`,
  `&lt;script&gt;${RUN}&lt;/script&gt;`,
  `&#60;script&#62;${RUN}&#60;/script&#62;`,
  `\u003cscript\u003e${RUN}\u003c/script\u003e`,
  `<scrıpt>${RUN}</scrıpt>`,
];

/** Markdown link and image tricks: only http(s) and mailto may become links. */
const MARKDOWN = [
  `[x](javascript:${RUN})`,
  `[x](JAVASCRIPT:${RUN})`,
  `[x](javascript&#58;${RUN})`,
  `[x](  javascript:${RUN}  )`,
  `[x](<javascript:${RUN}>)`,
  `[x](java\nscript:${RUN})`,
  `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
  `[x](vbscript:msgbox(1))`,
  `[x](file:///etc/passwd)`,
  `[x](//evil.invalid/x)`,
  `[x]( https://ok.example "title" onclick=${RUN})`,
  `[x](https://ok.example"onmouseover="${RUN})`,
  `[x][r]\n\n[r]: javascript:${RUN}`,
  `<javascript:${RUN}>`,
  `<data:text/html,<script>${RUN}</script>>`,
  `![x](javascript:${RUN})`,
  `![x](https://x.invalid/a.png" onerror="${RUN})`,
  `[<img src=x onerror=${RUN}>](https://ok.example)`,
  `[**x**](javascript:${RUN})`,
  `[x](https://ok.example) [y](javascript:${RUN})`,
  "`<script>" + RUN + "</script>`",
  "```html\n<script>" + RUN + "</script>\n```",
  `> <script>${RUN}</script>`,
  `- <img src=x onerror=${RUN}>`,
  `**<svg onload=${RUN}>**`,
  `_<a href="javascript:${RUN}">x</a>_`,
  `https://ok.example/"><script>${RUN}</script>`,
  `https://ok.example/<img src=x onerror=${RUN}>`,
  `mailto:x@y.example?body=<script>${RUN}</script>`,
  `@<img src=x onerror=${RUN}>`,
];

/** Invisible and direction characters: shown, never interpreted. */
const SNEAKY = [
  "\u202e<script>" + RUN + "</script>",
  "abc\u202efdp.exe",
  "\u2066<img src=x onerror=" + RUN + ">\u2069",
  "<scr\u200bipt>" + RUN + "</scr\u200bipt>",
  "java\u200bscript:" + RUN,
  "[x](java\u200bscript:" + RUN + ")",
  "\u200d<svg onload=" + RUN + ">",
  "\ufeff<script>" + RUN + "</script>",
  "<img src=x o\u00adnerror=" + RUN + ">",
  "\u0000<script>" + RUN + "</script>",
];

/** Every payload once, then each of the classic ones again inside Markdown emphasis and
 * after an RTL override: the same vectors, reached through other parser paths. */
export const PAYLOADS: string[] = [
  ...BASE,
  ...MARKDOWN,
  ...SNEAKY,
  ...BASE.map((p) => `*${p}*`),
  ...BASE.map((p) => `\u202e${p}`),
];

/** Names and room names go through stricter rules: most payloads are refused (with an
 * error), and whatever is accepted must still show as text. */
export const NAME_PAYLOADS: string[] = [
  "<b>x</b>", "a<script>", "x onerror=y", "\"><img", "java\u200bscript", "ab\u202ecd", "a\u2066b",
  "..", "a/../b", "x&amp;y", "a'b", "a\"b", "{{x}}", "${x}", "<svg", "a\u0000b",
];
