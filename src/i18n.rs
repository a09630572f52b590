//! The interface in Vietnamese first, English second. One table; templates call `t("key")`, and the
//! language comes from the page context (`lang`), chosen by the `pw_lang` cookie.

use minijinja::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn from_code(s: Option<&str>) -> Lang {
        match s {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// Why a typed query was refused, in the page's language. Positions count from 1, as people do.
pub fn query_error(lang: Lang, e: &crate::query::QueryError) -> String {
    use crate::query::{QueryError as Q, MAX_DEPTH, MAX_TERMS};
    match lang {
        Lang::En => match e {
            Q::UnclosedQuote(at) => format!("unclosed quote starting at character {}", at + 1),
            Q::Unbalanced(at) => format!("unbalanced parenthesis at character {}", at + 1),
            other => other.to_string(),
        },
        Lang::Vi => match e {
            Q::Empty => "Chưa nhập gì để tìm.".into(),
            Q::UnclosedQuote(at) => format!("Dấu ngoặc kép mở ở ký tự thứ {} chưa được đóng.", at + 1),
            Q::Unbalanced(at) => format!("Dấu ngoặc đơn ở ký tự thứ {} không có dấu đóng hoặc mở tương ứng.", at + 1),
            Q::Dangling(op) => format!("Sau «{op}» cần có từ cần tìm."),
            Q::UnknownField(f) => {
                format!("Không có trường «{f}». Các trường: title, source, lang, topic, mentions, locality, origin, date.")
            }
            Q::BadDate(d) => format!("Ngày «{d}» không hợp lệ: viết YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, >=YYYY-MM-DD hoặc <=YYYY-MM-DD."),
            Q::OnlyNegative => "Câu tìm chỉ có phần loại trừ; hãy thêm từ cần tìm.".into(),
            Q::TooDeep => format!("Câu tìm lồng ngoặc hoặc NOT quá {MAX_DEPTH} tầng."),
            Q::TooLong => format!("Câu tìm có hơn {MAX_TERMS} thành phần."),
        },
    }
}

/// `failure(class)` in templates: a stored failure class (`dns`) in the page's language; an unknown
/// code shows as it is.
pub fn failure_function(state: &State, class: &str) -> String {
    let lang = Lang::from_code(state.lookup("lang").as_ref().and_then(|v| v.as_str()));
    match crate::model::FailureClass::parse(class).map(|c| c.describe()) {
        Some((vi, en)) => (if lang == Lang::Vi { vi } else { en }).to_string(),
        None => class.to_string(),
    }
}

/// `language(code)` in templates: an article's language by name in the page's language; a code we
/// have no name for shows as it is.
pub fn language_function(state: &State, code: &str) -> String {
    let lang = Lang::from_code(state.lookup("lang").as_ref().and_then(|v| v.as_str()));
    t_or(lang, &format!("language.{code}"), code)
}

/// `t(key)`, or `fallback` when the table has no such key (a stored code we have no words for).
pub fn t_or(lang: Lang, key: &str, fallback: &str) -> String {
    match t(lang, key) {
        said if said == key => fallback.to_string(),
        said => said.to_string(),
    }
}

/// `t(key)` in templates.
pub fn t_function(state: &State, key: &str) -> String {
    let lang = Lang::from_code(state.lookup("lang").as_ref().and_then(|v| v.as_str()));
    t(lang, key).to_string()
}

pub fn t(lang: Lang, key: &str) -> &str {
    match TABLE.binary_search_by(|(k, _, _)| k.cmp(&key)) {
        Ok(i) => match lang {
            Lang::Vi => TABLE[i].1,
            Lang::En => TABLE[i].2,
        },
        // a missing key shows itself rather than nothing; a test keeps the table complete
        Err(_) => key,
    }
}

/// (key, Vietnamese, English), sorted by key.
static TABLE: &[(&str, &str, &str)] = &[
    ("action.assign", "Giao xử lý", "Assign"),
    ("action.close", "Đóng", "Close"),
    ("action.dismiss", "Bỏ qua", "Dismiss"),
    ("action.edit", "Sửa thông tin", "Edit"),
    ("action.reopen", "Mở lại", "Reopen"),
    ("action.respond", "Ghi nhận phản hồi", "Record response"),
    ("action.start_review", "Bắt đầu xem xét", "Start review"),
    ("article.fetched", "Thu thập lúc", "Fetched"),
    ("article.lang", "Ngôn ngữ", "Language"),
    ("article.original", "Bài gốc", "Original"),
    ("article.published", "Đăng lúc", "Published"),
    ("article.seen_in", "Xuất hiện trong nguồn", "Seen in feeds"),
    ("article.source", "Nguồn", "Source"),
    ("audit.action", "Thao tác", "Action"),
    ("audit.actor", "Người thực hiện", "Actor"),
    ("audit.article.gloss", "ghi tiêu đề tiếng Việt", "Vietnamese title written"),
    ("audit.at", "Thời điểm", "When"),
    ("audit.detail", "Chi tiết", "Detail"),
    ("audit.queue.assign", "giao xử lý", "assigned"),
    ("audit.queue.close", "đóng", "closed"),
    ("audit.queue.create", "gắn cờ", "flagged"),
    ("audit.queue.dismiss", "bỏ qua", "dismissed"),
    ("audit.queue.edit", "sửa thông tin", "edited"),
    ("audit.queue.note", "ghi chú", "note"),
    ("audit.queue.reopen", "mở lại", "reopened"),
    ("audit.queue.respond", "ghi nhận phản hồi", "response recorded"),
    ("audit.queue.start_review", "bắt đầu xem xét", "review started"),
    ("audit.source.run", "chạy lại nguồn", "source re-run"),
    ("audit.target", "Đối tượng", "Target"),
    ("audit.token.create", "tạo mã API", "API token created"),
    ("audit.token.revoke", "thu hồi mã API", "API token revoked"),
    ("audit.user.create", "tạo người dùng", "user created"),
    ("audit.user.update", "sửa người dùng", "user changed"),
    ("check.edited", "đã bị sửa", "edited"),
    ("check.failed", "không kiểm tra được", "could not be checked"),
    ("check.removed", "đã bị gỡ", "removed"),
    ("check.restored", "đã đăng lại", "back again"),
    ("check.still removed", "vẫn bị gỡ", "still removed"),
    ("check.unchanged", "không thay đổi", "unchanged"),
    ("config.failed", "Lần nạp lại gần nhất bị từ chối, cấu hình đang chạy giữ nguyên", "The last reload was refused; the running configuration stays"),
    ("config.loaded", "Cấu hình đang chạy được nạp lúc", "The running configuration was read at"),
    ("config.reload", "Nạp lại cấu hình", "Reload configuration"),
    ("config.reload_help", "Sau khi sửa các tệp cấu hình (hoặc gửi tín hiệu SIGHUP cho tiến trình). Tệp có lỗi sẽ không được nạp.", "After editing the configuration files (or send the process SIGHUP). A file with errors is not loaded."),
    ("config.reloaded", "Cấu hình hợp lệ: hệ thống đang chạy lại với cấu hình mới.", "The configuration is valid: presswatch is restarting on it."),
    ("config.title", "Cấu hình", "Configuration"),
    ("delete", "Xoá", "Delete"),
    ("evidence.captures", "Bản lưu (chứng cứ)", "Kept copies (evidence)"),
    ("evidence.check_late", "Chưa có kết quả; trang sẽ hiện khi bạn tải lại.", "No result yet; reload the page later."),
    ("evidence.check_now", "Kiểm tra lại ngay", "Check again now"),
    ("evidence.checked", "Đã kiểm tra lại xong.", "Checked again."),
    ("evidence.checking", "Đang kiểm tra lại…", "Checking again…"),
    ("evidence.download", "Tải WARC", "Download WARC"),
    ("evidence.edited", "Đã sửa", "Edited"),
    ("evidence.last_check", "lần trước", "last"),
    ("evidence.next_check", "Kiểm tra lại lúc", "Next re-check"),
    ("evidence.no_captures", "Chưa lưu bản gốc của bài này.", "No copy of this article was kept."),
    ("evidence.no_revisions", "Chưa thấy thay đổi.", "No changes seen yet."),
    ("evidence.removed", "Đã gỡ", "Removed"),
    ("evidence.restored", "Đăng lại", "Back online"),
    ("evidence.revisions", "Chỉnh sửa và gỡ bỏ", "Edits and removals"),
    ("facet.date", "Ngày", "Date"),
    ("facet.lang", "Ngôn ngữ", "Language"),
    ("facet.locality", "Địa bàn", "Locality"),
    ("facet.origin", "Nguồn gốc", "Origin"),
    ("facet.source", "Nguồn", "Source"),
    ("facet.topic", "Chủ đề", "Topic"),
    ("field.agency_id", "Cơ quan chịu trách nhiệm", "Responsible agency"),
    ("field.article_id", "Bài viết", "Article"),
    ("field.assignee_id", "Người phụ trách", "Assignee"),
    ("field.closed_at", "Thời điểm đóng", "Closed at"),
    ("field.created_by", "Người tạo", "Created by"),
    ("field.due_at", "Hạn xử lý", "Due"),
    ("field.full_name", "Họ và tên", "Full name"),
    ("field.name", "Tên đăng nhập", "Login name"),
    ("field.priority", "Mức ưu tiên", "Priority"),
    ("field.reason", "Lý do", "Reason"),
    ("field.responded_at", "Thời điểm phản hồi", "Responded at"),
    ("field.response_text", "Nội dung phản hồi", "Response text"),
    ("field.response_url", "Đường dẫn phản hồi", "Response link"),
    ("field.role", "Vai trò", "Role"),
    ("field.rule_id", "Quy tắc tự gắn cờ", "Auto-flag rule"),
    ("field.state", "Trạng thái", "State"),
    ("field.story_id", "Câu chuyện", "Story"),
    ("field.title_vi", "Tiêu đề tiếng Việt", "Vietnamese title"),
    ("field.unit", "Đơn vị", "Unit"),
    ("filter", "Lọc", "Filter"),
    ("flag.done", "Đã đưa vào danh sách cần xử lý.", "Added to the review queue."),
    ("flag.priority", "Mức ưu tiên", "Priority"),
    ("flag.reason", "Lý do", "Reason"),
    ("flag.submit", "Gắn cờ", "Flag"),
    ("flag.title", "Gắn cờ cần phản hồi", "Flag for response"),
    ("flagged", "Đã gắn cờ", "Flagged"),
    ("gloss.hint", "Ghi nghĩa tiếng Việt của tiêu đề: danh sách xử lý và báo cáo hiển thị nó, tìm kiếm tiếng Việt cũng thấy bài này.", "Write what the title says in Vietnamese: the queue and reports show it, and Vietnamese searches find the article."),
    ("gloss.label", "Tiêu đề tiếng Việt", "Vietnamese title"),
    ("gloss.save", "Lưu", "Save"),
    ("health.fix", "Xem và sửa ở trang Nguồn tin →", "See and fix them on the Sources page →"),
    ("health.tell_admin", "Hãy báo quản trị viên hệ thống.", "Please tell the system administrator."),
    ("in_title", "trong tiêu đề", "in title"),
    ("item.lead", "Mở đầu bài viết", "Opening of the article"),
    ("language.en", "Tiếng Anh", "English"),
    ("language.fr", "Tiếng Pháp", "French"),
    ("language.ja", "Tiếng Nhật", "Japanese"),
    ("language.ko", "Tiếng Hàn", "Korean"),
    ("language.lo", "Tiếng Lào", "Lao"),
    ("language.vi", "Tiếng Việt", "Vietnamese"),
    ("language.zh", "Tiếng Trung", "Chinese"),
    ("localities.anywhere", "Khớp ở bất cứ đâu", "Matched anywhere"),
    ("localities.find", "Tìm đơn vị hành chính (có dấu hoặc không dấu)", "Find an administrative unit (with or without diacritics)"),
    ("localities.former", "trước 7/2025", "before 7/2025"),
    ("localities.hint", "Đặt địa bàn trong config/localities.toml bằng một dòng: unit = \"Huyện Cần Giờ\" (tên đầy đủ hoặc mã bên dưới). Tên trùng với nơi khác chỉ được tính khi có từ chỉ loại (xã, huyện…) hoặc cùng đoạn với tên huyện, tỉnh.", "Set a locality in config/localities.toml in one line: unit = \"Huyện Cần Giờ\" (the full name or the code below). A name shared with another place counts only with its type word (xã, huyện…) or in a paragraph that names its district or province."),
    ("localities.level.commune", "Xã, phường", "Commune, ward"),
    ("localities.level.district", "Huyện, quận", "District"),
    ("localities.level.province", "Tỉnh, thành phố", "Province"),
    ("localities.near", "Tên trùng, chỉ tính khi cùng đoạn với", "Shared names, counted only in a paragraph with"),
    ("localities.none", "Không có đơn vị nào có tên này.", "No unit has this name."),
    ("localities.not", "Không tính trong", "Not counted inside"),
    ("localities.unit", "Đơn vị hành chính", "Administrative unit"),
    ("locality.passing", "chỉ nhắc qua, không tính vào báo cáo và quy tắc", "named in passing: not counted by reports and rules"),
    ("login.failed", "Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    ("login.name", "Tên đăng nhập", "User name"),
    ("login.password", "Mật khẩu", "Password"),
    ("login.submit", "Đăng nhập", "Log in"),
    ("login.title", "Đăng nhập", "Log in"),
    ("logout", "Đăng xuất", "Log out"),
    ("mentions", "Có nhắc đến", "Mentions"),
    ("mentions.hint", "chỉ nhắc qua, không tính là bài về chủ đề", "mentioned only, not counted as coverage"),
    ("nav.audit", "Nhật ký", "Audit log"),
    ("nav.localities", "Địa bàn", "Localities"),
    ("nav.overview", "Tổng quan", "Overview"),
    ("nav.queue", "Cần xử lý", "Review queue"),
    ("nav.reports", "Báo cáo", "Reports"),
    ("nav.search", "Tìm kiếm", "Search"),
    ("nav.sources", "Nguồn tin", "Sources"),
    ("nav.users", "Người dùng", "Users"),
    ("next", "Sau", "Next"),
    ("older", "Cũ hơn", "Older"),
    ("origin.domestic", "Trong nước", "Domestic"),
    ("origin.foreign", "Nước ngoài", "Foreign"),
    ("origin.overseas", "Hải ngoại", "Overseas"),
    ("origin.unknown", "Không rõ", "Unknown"),
    ("overview.agency_open", "đang mở", "open"),
    ("overview.agency_overdue", "quá hạn", "overdue"),
    ("overview.articles", "Bài viết", "Articles"),
    ("overview.by_agency", "Theo cơ quan xử lý", "By agency"),
    ("overview.day", "24 giờ qua", "Last 24 hours"),
    ("overview.failing", "lỗi khi thu thập", "fetches failed"),
    ("overview.generated", "Số liệu lúc", "Figures as of"),
    ("overview.legend_all", "tất cả", "all"),
    ("overview.legend_local", "về địa bàn", "about our locality"),
    ("overview.local", "Về địa bàn", "About our locality"),
    ("overview.no_data", "Chưa có dữ liệu: hệ thống chưa thu thập được bài nào. Khi nguồn tin được thu thập, số liệu sẽ hiện ở đây.", "No data yet: nothing has been collected. Figures appear here once sources are crawled."),
    ("overview.no_spikes", "Không có ngày nào tăng đột biến.", "No day stood out."),
    ("overview.no_stories", "Chưa có tin nào về chủ đề nhạy cảm.", "No stories on sensitive topics."),
    ("overview.no_urgent", "Không có vụ việc khẩn hoặc cao đang mở.", "No urgent or high items open."),
    ("overview.open", "Đang mở", "Open"),
    ("overview.open_page", "Xem trên hệ thống", "Open it in presswatch"),
    ("overview.outlets", "báo đăng", "outlets"),
    ("overview.overdue", "Quá hạn", "Overdue"),
    ("overview.prev", "24 giờ trước đó", "the 24 hours before"),
    ("overview.prev_week", "7 ngày trước đó", "the 7 days before"),
    ("overview.sensitive", "Về chủ đề nhạy cảm", "On sensitive topics"),
    ("overview.silent", "không có bài mới trong 7 ngày", "nothing new in 7 days"),
    ("overview.sources", "Nguồn tin", "Sources"),
    ("overview.sources_ok", "Mọi nguồn tin đều hoạt động.", "Every source is working."),
    ("overview.spikes", "Ngày tăng đột biến", "Spikes"),
    ("overview.stories", "Tin được nhiều báo đăng nhất (7 ngày)", "Stories carried by most outlets (7 days)"),
    ("overview.title", "Tổng quan", "Overview"),
    ("overview.topics", "Bài mỗi ngày theo chủ đề nhạy cảm (7 ngày)", "Articles per day by sensitive topic (7 days)"),
    ("overview.urgent", "Khẩn và cao đang mở", "Urgent and high, open"),
    ("overview.week", "7 ngày qua", "Last 7 days"),
    ("prev", "Trước", "Previous"),
    ("priority.high", "Cao", "High"),
    ("priority.low", "Thấp", "Low"),
    ("priority.normal", "Bình thường", "Normal"),
    ("priority.urgent", "Khẩn", "Urgent"),
    ("queue.actions", "Xử lý", "Actions"),
    ("queue.add_note", "Thêm ghi chú", "Add note"),
    ("queue.agency", "Cơ quan chịu trách nhiệm", "Responsible agency"),
    ("queue.all", "Tất cả", "All"),
    ("queue.article", "Bài viết", "Article"),
    ("queue.assignee", "Người phụ trách", "Assignee"),
    ("queue.conflict", "Mục này vừa được người khác thay đổi. Đã tải lại; hãy kiểm tra rồi thử lại.", "Someone else changed this item meanwhile. It has been reloaded; check it and try again."),
    ("queue.created", "Tạo lúc", "Created"),
    ("queue.due", "Hạn xử lý", "Due"),
    ("queue.due_before", "Hạn trước ngày", "Due before"),
    ("queue.empty", "Không có mục nào.", "Nothing here."),
    ("queue.history", "Lịch sử", "History"),
    ("queue.items_for_article", "Trong danh sách cần xử lý", "In the review queue"),
    ("queue.not_in_queue", "Chưa có trong danh sách cần xử lý.", "Not in the review queue."),
    ("queue.note", "Ghi chú", "Note"),
    ("queue.open", "Đang mở", "Open"),
    ("queue.overdue", "Quá hạn", "Overdue"),
    ("queue.overdue_only", "Chỉ mục quá hạn", "Overdue only"),
    ("queue.response", "Phản hồi chính thức", "Official response"),
    ("queue.response_text", "Nội dung phản hồi", "Response text"),
    ("queue.response_url", "Đường dẫn phản hồi", "Response link"),
    ("queue.sort", "Sắp xếp", "Sort"),
    ("queue.sort_default", "Quá hạn và khẩn trước", "Overdue and urgent first"),
    ("queue.sort_score", "Điểm ưu tiên cao trước", "Highest priority score first"),
    ("queue.state", "Trạng thái", "State"),
    ("queue.version", "Phiên bản", "Version"),
    ("reports.by", "Người lập", "By"),
    ("reports.download", "Tải về", "Download"),
    ("reports.email", "Gửi e-mail", "E-mailed"),
    ("reports.email_failed", "gửi lỗi", "failed"),
    ("reports.from", "Từ ngày", "From"),
    ("reports.generate", "Lập báo cáo", "Generate report"),
    ("reports.generated", "Lập lúc", "Generated"),
    ("reports.none", "Chưa có báo cáo nào.", "No reports yet."),
    ("reports.period", "Kỳ báo cáo", "Period"),
    ("reports.schedule", "tự động", "scheduled"),
    ("reports.scheduled", "Báo cáo tuần tự động lập vào", "Weekly report written automatically on"),
    ("reports.to", "Đến ngày", "To"),
    ("reports.unscheduled", "Chưa đặt lịch lập báo cáo tuần tự động", "No weekly report schedule configured"),
    ("reports.week", "Tuần", "Week"),
    ("retag.changed", "bài đổi nhãn", "articles re-tagged"),
    ("retag.changed_n", "bài đổi nhãn", "re-tagged"),
    ("retag.examined", "bài đã xem", "examined"),
    ("retag.failed", "Lỗi:", "Failed:"),
    ("retag.help", "Phân tích lại mọi bài đã lưu theo danh mục chủ đề và địa bàn đang chạy (sau khi sửa topics.toml hoặc localities.toml và nạp lại cấu hình, hoặc sau khi nâng cấp). Các mục trong hàng đợi giữ nguyên.", "Re-analyses every stored article with the running topics and localities (after editing topics.toml or localities.toml and reloading the configuration, or after an upgrade). Queue items stay as they are."),
    ("retag.last", "Lần gần nhất", "Last run"),
    ("retag.run", "Gắn lại ngay", "Re-tag now"),
    ("retag.started", "Đã bắt đầu gắn lại chủ đề; tải lại trang để xem tiến độ.", "Re-tagging has started; reload the page to see its progress."),
    ("retag.title", "Gắn lại chủ đề và địa bàn", "Re-tag stored articles"),
    ("revision.back", "bài đăng lại", "the article is back"),
    ("revision.back_changed", "bài đăng lại, có thay đổi", "the article is back, with changes"),
    ("revision.text_changed", "nội dung đã thay đổi", "the text changed"),
    ("revision.text_gone", "trang không còn nội dung bài viết", "the page no longer holds the article text"),
    ("revision.to_home", "chuyển hướng về trang chủ", "redirected to the home page"),
    ("role.admin", "Quản trị", "Admin"),
    ("role.analyst", "Phân tích", "Analyst"),
    ("role.leader", "Lãnh đạo", "Leader"),
    ("role.triage", "Xử lý", "Triage"),
    ("save", "Lưu", "Save"),
    ("score.origin", "Nguồn", "Origin"),
    ("score.priority", "Mức ưu tiên", "Priority"),
    ("score.reach", "Số cơ quan báo chí đăng", "Outlets carrying it"),
    ("score.recency", "Độ mới", "Recency"),
    ("score.sensitivity", "Chủ đề nhạy cảm", "Sensitive topics"),
    ("score.title", "Điểm ưu tiên", "Priority score"),
    ("search.alert_digest", "gộp mỗi ngày", "daily digest"),
    ("search.alert_email", "E-mail nhận tin mới (tùy chọn)", "E-mail new matches to (optional)"),
    ("search.broader", "Thử tìm rộng hơn:", "Try a broader search:"),
    ("search.by_date", "Mới nhất", "Newest"),
    ("search.by_relevance", "Liên quan nhất", "Most relevant"),
    ("search.did_you_mean", "Ý bạn là:", "Did you mean:"),
    ("search.go", "Tìm", "Search"),
    ("search.none", "Không tìm thấy bài nào khớp với câu tìm này.", "No article matches this search."),
    ("search.none_help", "Thử bỏ dấu ngoặc kép, bỏ bộ lọc (topic:, lang:, date:…) hoặc dùng ít từ hơn.", "Try without quotes, without filters (topic:, lang:, date:…) or with fewer words."),
    ("search.none_saved", "Chưa có tìm kiếm đã lưu.", "No saved searches yet."),
    ("search.nothing_stored", "Chưa có bài nào được thu thập. Hệ thống tự thu thập từ các nguồn tin theo lịch (lần đầu trong vài phút sau khi khởi động).", "Nothing has been collected yet. presswatch fetches its sources on a schedule (the first pass within minutes of starting)."),
    ("search.nothing_stored_admin", "Xem trang Nguồn tin: nguồn nào đang lỗi và vì sao, thêm nguồn, thu thập ngay.", "Open Sources: which sources fail and why, add one, fetch now."),
    ("search.nothing_stored_user", "Nếu sau một giờ vẫn trống, hãy báo quản trị viên kiểm tra trang Nguồn tin.", "If it is still empty in an hour, ask an administrator to check the Sources page."),
    ("search.nothing_today", "Hôm nay chưa có bài nào; dưới đây là các bài mới nhất.", "Nothing yet today; the newest articles follow."),
    ("search.placeholder", "biển đảo, bien dao, \"Trường Sa\", topic:bien-dao …", "biển đảo, bien dao, \"Trường Sa\", topic:bien-dao …"),
    ("search.results", "kết quả", "results"),
    ("search.save", "Lưu tìm kiếm", "Save search"),
    ("search.save_name", "Tên tìm kiếm", "Search name"),
    ("search.saved", "Tìm kiếm đã lưu", "Saved searches"),
    ("search.sort", "Sắp xếp", "Sort"),
    ("search.syntax", "Cú pháp tìm kiếm", "Search syntax"),
    ("search.syntax_help", "Gõ có dấu hoặc không dấu. \"cụm từ\" tìm đúng thứ tự; AND, OR, NOT hoặc -từ; (ngoặc); title:, source:, lang:, topic:, locality:, origin:; date:2026-11-01..2026-11-07.", "Type with or without diacritics. \"phrase\" keeps word order; AND, OR, NOT or -word; (parentheses); title:, source:, lang:, topic:, locality:, origin:; date:2026-11-01..2026-11-07."),
    ("search.today", "Tin hôm nay", "Today's coverage"),
    ("sources.add", "Thêm nguồn tin", "Add a source"),
    ("sources.added", "Đã thêm nguồn tin; hệ thống đang chạy lại với cấu hình mới.", "Source added; presswatch is restarting on the new configuration."),
    ("sources.articles", "Số bài", "Articles"),
    ("sources.disable", "Tắt", "Turn off"),
    ("sources.disabled", "Đã tắt", "Off"),
    ("sources.enable", "Bật lại", "Turn on"),
    ("sources.error", "Lỗi gần nhất", "Last error"),
    ("sources.error_detail", "Chi tiết kỹ thuật", "Technical detail"),
    ("sources.failures", "Lỗi liên tiếp / tổng", "Failures in a row / total"),
    ("sources.internal", "Nguồn nội bộ (địa chỉ trong mạng cơ quan)", "Internal outlet (an address on the office network)"),
    ("sources.lang", "Ngôn ngữ (tùy chọn, ví dụ vi, en, zh)", "Language (optional, e.g. vi, en, zh)"),
    ("sources.last_success", "Lần thành công gần nhất", "Last success"),
    ("sources.name", "Tên nguồn", "Name"),
    ("sources.next", "Lần thu thập tới", "Next fetch"),
    ("sources.origin", "Nguồn gốc", "Origin"),
    ("sources.poisoned", "Việc bị tạm gác", "Work set aside"),
    ("sources.poisoned_crashes", "Số lần dừng", "Crashes"),
    ("sources.poisoned_help", "Tiến trình đã dừng đột ngột mỗi lần xử lý các trang này, nên chúng không được tự động thử lại. Hãy kiểm tra địa chỉ trước khi thử lại.", "The process stopped abruptly each time it worked on these pages, so they are not retried automatically. Check the address before retrying."),
    ("sources.poisoned_since", "Từ lúc", "Since"),
    ("sources.queued", "Nguồn sẽ được thu thập ngay.", "The source will be fetched now."),
    ("sources.retried", "Việc đã được đưa lại vào hàng đợi.", "The job is queued again."),
    ("sources.retry", "Thử lại", "Retry"),
    ("sources.run", "Thu thập ngay", "Fetch now"),
    ("sources.source", "Nguồn", "Source"),
    ("sources.toggled", "Đã cập nhật nguồn tin; hệ thống đang chạy lại với cấu hình mới.", "Source updated; presswatch is restarting on the new configuration."),
    ("sources.url", "Địa chỉ RSS/Atom hoặc sitemap", "RSS/Atom feed or sitemap address"),
    ("state.assigned", "Đã giao", "Assigned"),
    ("state.closed", "Đã đóng", "Closed"),
    ("state.dismissed", "Đã bỏ qua", "Dismissed"),
    ("state.in_review", "Đang xem xét", "In review"),
    ("state.new", "Mới", "New"),
    ("state.overdue", "Quá hạn", "Overdue"),
    ("state.responded", "Đã phản hồi", "Responded"),
    ("story.article", "Bài", "Article"),
    ("story.articles", "bài", "articles"),
    ("story.carried_by", "Cùng nội dung:", "Same story:"),
    ("story.first", "Đăng đầu tiên", "First published"),
    ("story.flag", "Đưa cả câu chuyện vào hàng đợi xử lý", "Flag the whole story"),
    ("story.new", "mới", "new"),
    ("story.outlets", "cơ quan báo chí", "outlets"),
    ("story.size", "Số bài", "Articles"),
    ("story.spread", "Số bài theo ngày", "Articles per day"),
    ("story.title", "Câu chuyện", "Story"),
    ("users.active", "Đang hoạt động", "Active"),
    ("users.add", "Thêm người dùng", "Add user"),
    ("users.change", "Thay đổi", "Change"),
    ("users.disabled", "Đã khoá", "Disabled"),
    ("users.full_name", "Họ và tên", "Full name"),
    ("users.last_used", "Dùng lần cuối", "Last used"),
    ("users.new_password", "Mật khẩu mới (để trống nếu giữ)", "New password (blank keeps it)"),
    ("users.new_token", "Tạo mã API", "New API token"),
    ("users.revoke", "Thu hồi", "Revoke"),
    ("users.role", "Vai trò", "Role"),
    ("users.status", "Tình trạng", "Status"),
    ("users.token", "Mã API", "API token"),
    ("users.token_label", "Mô tả mã", "Token label"),
    ("users.token_once", "Mã API mới (chỉ hiện một lần, hãy lưu lại):", "New API token (shown once, keep it now):"),
    ("users.tokens", "Mã API đang dùng", "Active API tokens"),
    ("users.unit", "Đơn vị", "Unit"),
    ("why", "Khớp với", "Matched"),
    ("why.needed", "ngưỡng", "threshold"),
    ("why.paragraphs", "đoạn", "paragraphs"),
    ("why.score", "điểm", "score"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_every_template_key_exists() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0), "TABLE must stay sorted for binary search");
        let templates = [
            include_str!("web/templates/base.html"),
            include_str!("web/templates/login.html"),
            include_str!("web/templates/search.html"),
            include_str!("web/templates/article.html"),
            include_str!("web/templates/queue.html"),
            include_str!("web/templates/item.html"),
            include_str!("web/templates/users.html"),
            include_str!("web/templates/sources.html"),
            include_str!("web/templates/audit.html"),
            include_str!("web/templates/overview.html"),
        ];
        for src in templates {
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                for part in src.split(open.as_str()).skip(1) {
                    let key = &part[..part.find(quote).unwrap()];
                    if key.ends_with('.') {
                        continue; // a prefix completed at run time, checked below
                    }
                    assert_ne!(t(Lang::En, key), key, "missing translation key `{key}`");
                }
            }
        }
        for prefix in ["state.", "priority.", "role.", "origin."] {
            let n = TABLE.iter().filter(|(k, _, _)| k.starts_with(prefix)).count();
            assert!(n >= 3, "{prefix}");
        }
        for a in ["start_review", "assign", "respond", "close", "dismiss", "reopen", "edit"] {
            assert_ne!(t(Lang::Vi, &format!("action.{a}")), format!("action.{a}"));
            assert_ne!(t(Lang::Vi, &format!("audit.queue.{a}")), format!("audit.queue.{a}"));
        }
        assert_eq!(t(Lang::Vi, "nav.search"), "Tìm kiếm");
        assert_eq!(t(Lang::En, "nav.search"), "Search");
    }
}
