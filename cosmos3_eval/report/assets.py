"""The report's only stylesheet and script, inlined into every page (no external assets).

The script filters and sorts; it compares ``value`` / ``data-*`` strings and moves existing
rows, and never writes HTML, so nothing a model says can become markup or script.
"""

from __future__ import annotations

CSS = """
:root{--bg:#f4f6f9;--card:#fff;--ink:#1c2128;--muted:#58626e;--line:#e2e6ec;--head:#f1f4f8;
--accent:#2f6fdf;--ok:#1a7f37;--bad:#c0262d}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{position:sticky;top:0;z-index:20;background:rgba(255,255,255,.96);
border-bottom:1px solid var(--line);box-shadow:0 1px 3px rgba(16,24,40,.05)}
.top .in{max-width:1360px;margin:0 auto;padding:10px 20px;display:flex;flex-wrap:wrap;
gap:8px 20px;align-items:center}
.top h1{font-size:17px;margin:0;font-weight:650;letter-spacing:-.01em;flex:1 1 240px;
overflow-wrap:anywhere}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;min-width:0;max-width:100%}
.toolbar input,.toolbar select{font:inherit;font-size:13px;padding:5px 9px;
border:1px solid #c8d0da;border-radius:7px;background:#fff;color:var(--ink);max-width:100%}
.toolbar input{width:230px}
.toolbar select{max-width:170px}
.toolbar label{display:flex;gap:5px;align-items:center;font-size:12px;color:var(--muted);
min-width:0}
nav.toc{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 14px}
nav.toc a{font-size:12px;color:var(--accent);text-decoration:none;background:#fff;
border:1px solid var(--line);border-radius:99px;padding:3px 11px}
nav.toc a:hover{border-color:var(--accent)}
main{max-width:1360px;margin:0 auto;padding:16px 20px 32px}
.card{background:var(--card);border:1px solid var(--line);border-radius:11px;
box-shadow:0 1px 2px rgba(16,24,40,.04);margin:0 0 16px;min-width:0}
summary{cursor:pointer;list-style:none;display:flex;gap:8px;align-items:baseline;
flex-wrap:wrap;overflow-wrap:anywhere}
summary::-webkit-details-marker{display:none}
summary::before{content:"\\25B8";color:var(--muted);display:inline-block;transition:transform .15s}
details[open]>summary::before{transform:rotate(90deg)}
.card>summary{padding:12px 16px;font-weight:650;font-size:15px}
.card>.body{padding:0 16px 16px}
details.sub-d{border-top:1px solid var(--line)}
details.sub-d>summary{padding:9px 2px;font-weight:600;font-size:13px}
details.sub-d>.body{padding:2px 0 12px}
.sub{color:var(--muted);font-size:12px;font-weight:400}
.note{color:var(--muted);font-size:12px;margin:0 0 10px}
.tablewrap{overflow:auto;max-height:75vh;border:1px solid var(--line);border-radius:8px;
max-width:100%}
table.lb{border-collapse:separate;border-spacing:0;width:100%;font-size:13px}
table.lb th{position:sticky;top:0;z-index:1;background:var(--head);text-align:left;
font-weight:600;font-size:12px;padding:8px 10px;border-bottom:1px solid var(--line);
vertical-align:bottom;min-width:64px}
table.lb th[data-sort]{cursor:pointer;user-select:none}
table.lb th[data-sort]:hover{color:var(--accent)}
table.lb th[aria-sort=ascending]::after{content:" \\25B2";font-size:9px}
table.lb th[aria-sort=descending]::after{content:" \\25BC";font-size:9px}
table.lb td{padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
table.lb tbody tr:last-child td{border-bottom:0}
table.lb tbody tr:hover td{background:#f8fafd}
td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
td.model{min-width:160px;max-width:260px;overflow-wrap:anywhere;font-weight:600}
td.ids{min-width:160px;max-width:340px;overflow-wrap:anywhere;font-size:11px;color:var(--muted)}
.ci{color:var(--muted);font-size:11px;margin-left:3px}
.rank{display:inline-block;min-width:24px;text-align:center;border-radius:99px;
background:#e9eef5;font-weight:650;font-size:12px;padding:1px 6px}
.meter{height:3px;background:#e9eef5;border-radius:2px;margin-top:3px;min-width:48px}
.meter i{display:block;height:3px;border-radius:2px;background:var(--accent)}
.sw{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px;
flex:none;vertical-align:baseline}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;margin:0 0 12px}
.legend span{display:inline-flex;align-items:center;overflow-wrap:anywhere}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff;
min-width:0}
figure img{width:100%;height:auto;display:block}
figcaption{margin-top:4px}
.cmp{padding:10px 0 14px;border-top:1px solid var(--line)}
.cmp:first-of-type{border-top:0}
.cmp-head{font-size:13px;margin:0 0 8px;overflow-wrap:anywhere}
.cells{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,190px),1fr));gap:10px}
.cells.wide{grid-template-columns:repeat(auto-fill,minmax(min(100%,280px),1fr))}
.cell{border:1px solid var(--line);border-top-width:3px;border-radius:8px;padding:7px;
font-size:12px;overflow-wrap:anywhere;min-width:0;background:#fff}
.cell .who{display:flex;align-items:center;font-weight:600;margin-bottom:5px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,210px),1fr));gap:10px}
.cards .cell{border-top-width:1px}
.cell img,.cell video{width:100%;height:auto;display:block;image-rendering:pixelated;
border-radius:4px;margin-bottom:5px;background:#eef1f5}
.tg-l{display:flex;gap:2px;margin-bottom:2px}
.tg-l span{flex:1;text-align:center;font-size:10px;font-weight:650;letter-spacing:.04em;
text-transform:uppercase;border-radius:3px;padding:1px 0;color:#fff;background:#58626e}
.tg-l span+span{background:var(--accent)}
.ok{color:var(--ok);font-weight:650}.bad{color:var(--bad);font-weight:650}
.err{color:var(--bad)}
.truth{font-weight:600}
ol.ch{margin:0;padding-left:0;list-style:none}
footer{max-width:1360px;margin:0 auto;padding:0 20px 24px;color:var(--muted);font-size:12px}
@media (max-width:640px){
 .top .in{padding:8px 12px}.toolbar input{width:100%}.toolbar{width:100%}
 .toolbar label{flex:1 1 40%}.toolbar select{max-width:none;width:100%}
 main{padding:12px}.cells{grid-template-columns:repeat(auto-fill,minmax(140px,1fr))}
 .cells.wide{grid-template-columns:1fr}
 .card>summary{padding:10px 12px}.card>.body{padding:0 12px 12px}
}
"""

JS = """
function c3Filter(){
  var q=(document.getElementById('f-q')||{value:''}).value.toLowerCase().trim();
  var t=(document.getElementById('f-task')||{value:''}).value;
  var m=(document.getElementById('f-model')||{value:''}).value;
  var terms=q?q.split(/\\s+/):[];
  document.querySelectorAll('[data-task],[data-tasks],[data-model],[data-search]')
  .forEach(function(el){
    var ok=true;
    if(t!==''){
      if(el.hasAttribute('data-task')) ok=el.getAttribute('data-task')===t;
      else if(el.hasAttribute('data-tasks'))
        ok=el.getAttribute('data-tasks').split(' ').indexOf(t)>=0;
    }
    if(ok && m!=='' && el.hasAttribute('data-model')) ok=el.getAttribute('data-model')===m;
    if(ok && terms.length && el.hasAttribute('data-search')){
      var s=el.getAttribute('data-search');
      ok=terms.every(function(w){return s.indexOf(w)>=0;});
    }
    el.style.display=ok?'':'none';
  });
}
function c3Sort(th){
  var table=th.closest('table'), body=table.tBodies[0], col=th.cellIndex;
  var num=th.getAttribute('data-sort')==='num';
  var asc=th.getAttribute('aria-sort')?th.getAttribute('aria-sort')!=='ascending'
    :(!num||th.getAttribute('data-dir')==='asc');
  table.querySelectorAll('th[aria-sort]').forEach(function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',asc?'ascending':'descending');
  var rows=Array.prototype.slice.call(body.rows);
  function key(r){
    var c=r.cells[col]; if(!c) return null;
    if(!num) return c.textContent.toLowerCase();
    var v=parseFloat(c.getAttribute('data-v')); return isNaN(v)?null:v;
  }
  rows.sort(function(a,b){
    var x=key(a), y=key(b);
    if(x===null||y===null) return (x===null)-(y===null);  // missing values always last
    return (x<y?-1:x>y?1:0)*(asc?1:-1);
  });
  rows.forEach(function(r){body.appendChild(r);});
}
document.addEventListener('DOMContentLoaded',function(){
  ['f-task','f-model'].forEach(function(id){
    var s=document.getElementById(id); if(s) s.addEventListener('change',c3Filter);
  });
  var q=document.getElementById('f-q'); if(q) q.addEventListener('input',c3Filter);
  document.querySelectorAll('th[data-sort]').forEach(function(th){
    th.addEventListener('click',function(){c3Sort(th);});
  });
});
"""
