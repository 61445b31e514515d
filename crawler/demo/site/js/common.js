/* site-wide helpers */
function setHome(el){try{el.style.behavior='url(#default#homepage)';el.setHomePage(location.href);}catch(e){}}
function addFav(){try{window.external.addFavorite(location.href,document.title);}catch(e){}}
function fontZoom(n){var c=document.querySelector('.content');if(c){c.style.fontSize=n+'px';}}
function openWza(){}
document.addEventListener('DOMContentLoaded',function(){var t=document.getElementById('today');if(t){var d=new Date();
t.innerHTML=d.getFullYear()+'\u5e74'+(d.getMonth()+1)+'\u6708'+d.getDate()+'\u65e5';}});
