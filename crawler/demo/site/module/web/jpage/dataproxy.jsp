<?xml version="1.0" encoding="utf-8"?>
<datastore><totalrecord>5</totalrecord><totalpage>1</totalpage>
<recordset>
<record><![CDATA[<li><a href="/art/2026/8/3/art_2001_501.html" target="_blank">示例县人民政府办公室关于印发示例县农村人居环境整治提升实施方案的通知</a><span>2026-08-03</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2026/6/18/art_2001_502.html" target="_blank">示例县人民政府关于进一步优化营商环境的若干措施</a><span>2026-06-18</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2026/5/9/art_2001_503.html" target="_blank">示例县人民政府办公室关于印发示例县防汛抗旱应急预案的通知</a><span>2026-05-09</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2026/3/20/art_2001_504.html" target="_blank">示例县人民政府关于印发2026年县政府工作要点的通知</a><span>2026-03-20</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2026/1/12/art_2001_505.html" target="_blank">示例县人民政府办公室关于做好2026年春节期间有关工作的通知</a><span>2026-01-12</span></li>]]></record>
</recordset></datastore>
