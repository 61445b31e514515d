/* TRS WCM pager: index.html, index_1.html, ... */
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var cur = _nCurrIndex || 0;
  function name(i){ return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; }
  var out = [];
  out.push(cur == 0 ? "<span>\u9996\u9875</span>" : "<a href=\"" + name(0) + "\">\u9996\u9875</a>");
  out.push(cur > 0 ? "<a href=\"" + name(cur - 1) + "\">\u4e0a\u4e00\u9875</a>" : "<span>\u4e0a\u4e00\u9875</span>");
  out.push(cur + 1 < _nPageCount ? "<a href=\"" + name(cur + 1) + "\">\u4e0b\u4e00\u9875</a>" : "<span>\u4e0b\u4e00\u9875</span>");
  out.push(cur + 1 < _nPageCount ? "<a href=\"" + name(_nPageCount - 1) + "\">\u5c3e\u9875</a>" : "<span>\u5c3e\u9875</span>");
  document.write(out.join("&nbsp;") + "&nbsp;\u5171" + _nPageCount + "\u9875");
}
