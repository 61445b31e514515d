"""CMS list mechanisms: Hanweb (大汉) jcms datastores and dataproxy paging, TRS WCM createPageHTML paging.

Pure functions over page text (a list the CMS hides from a naive parser is not blank: README, How columns
are judged). No settings.
"""

from __future__ import annotations

from pipelines.rules.cms.dataproxy import (
    DataProxyRequest,
    dataproxy_from_tree,
    hanweb_dataproxy,
    select_dataproxy,
)
from pipelines.rules.cms.datastore import (
    Datastore,
    datastore_fragments,
    find_datastores,
    hanweb_datastore,
    hanweb_initdata,
    parse_dataproxy_response,
)
from pipelines.rules.cms.jsobject import parse_js_object
from pipelines.rules.cms.jsonlist import (
    JsonListAnswer,
    JsonListRequest,
    JsonRecord,
    json_list_from_tree,
    parse_json_list,
)
from pipelines.rules.cms.tree import parse_html, parse_html_checked
from pipelines.rules.cms.trs import MAX_ANNOUNCED_PAGES, TrsPaging, paging_urls, trs_page_urls, trs_paging

__all__ = [
    "MAX_ANNOUNCED_PAGES",
    "DataProxyRequest",
    "Datastore",
    "JsonListAnswer",
    "JsonListRequest",
    "JsonRecord",
    "TrsPaging",
    "dataproxy_from_tree",
    "datastore_fragments",
    "find_datastores",
    "hanweb_dataproxy",
    "hanweb_datastore",
    "hanweb_initdata",
    "json_list_from_tree",
    "paging_urls",
    "parse_dataproxy_response",
    "parse_html",
    "parse_html_checked",
    "parse_js_object",
    "parse_json_list",
    "select_dataproxy",
    "trs_page_urls",
    "trs_paging",
]
