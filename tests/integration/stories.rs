//! Stories: syndicated copies and rewrites of one piece share a story id, separate articles on the
//! same subject do not, and articles arriving later join the story they belong to.

use super::report::{insert_text as insert, local};
use presswatch::store::Store;

const WIRE: &str = "Chiều 12/11, Ủy ban nhân dân huyện Cần Giờ tổ chức hội nghị bàn giải pháp giữ rừng ngập mặn trước mùa khô. \
Theo báo cáo tại hội nghị, diện tích rừng phòng hộ của huyện hiện vào khoảng ba mươi lăm nghìn héc-ta. \
Ban quản lý rừng cho biết đã bố trí thêm mười hai chốt canh lửa dọc các tuyến kênh chính. \
Lực lượng kiểm lâm sẽ phối hợp với công an xã tuần tra vào ban đêm trong suốt mùa khô. \
Người dân sống ven rừng được hướng dẫn cách báo tin khi phát hiện khói hoặc lửa. \
Huyện cũng đề nghị thành phố hỗ trợ kinh phí mua máy bơm và vòi chữa cháy chuyên dụng. \
Kết thúc hội nghị, lãnh đạo huyện yêu cầu các xã hoàn thành phương án phòng cháy trước cuối tháng.";

/// The same piece rewritten by another outlet: a new opening, sentences reordered and shortened, one dropped.
const REWRITE: &str = "Mùa khô sắp đến, Cần Giờ lo giữ rừng. \
Ban quản lý rừng cho biết đã bố trí thêm mười hai chốt canh lửa dọc các tuyến kênh chính. \
Chiều 12/11, Ủy ban nhân dân huyện Cần Giờ tổ chức hội nghị bàn giải pháp giữ rừng ngập mặn trước mùa khô. \
Diện tích rừng phòng hộ của huyện hiện vào khoảng ba mươi lăm nghìn héc-ta, theo báo cáo tại hội nghị. \
Lực lượng kiểm lâm sẽ phối hợp với công an xã tuần tra vào ban đêm. \
Lãnh đạo huyện yêu cầu các xã hoàn thành phương án phòng cháy trước cuối tháng.";

const OTHER_FOREST: &str = "Sáng 14/11, đoàn công tác của Sở Nông nghiệp khảo sát khu rừng ngập mặn Cần Giờ. \
Đoàn ghi nhận nhiều diện tích cây đước phát triển tốt sau đợt trồng bổ sung năm ngoái. \
Cán bộ lâm nghiệp đề xuất mở thêm tuyến du lịch sinh thái có kiểm soát để tăng nguồn thu bảo vệ rừng. \
Một số hộ dân nhận khoán bảo vệ rừng kiến nghị tăng mức hỗ trợ hằng năm. \
Sở hứa sẽ tổng hợp ý kiến và báo cáo thành phố trong quý tới.";

const OTHER_FIRE: &str = "Một vụ cháy cỏ khô xảy ra gần khu dân cư xã Bình Khánh vào trưa ngày 15/11. \
Lực lượng chữa cháy có mặt sau mười lăm phút và khống chế đám cháy trong vòng một giờ. \
Không có thiệt hại về người, diện tích bị cháy chủ yếu là cỏ và cây bụi ven đường. \
Chính quyền xã nhắc người dân không đốt rác gần bãi cỏ trong mùa khô.";

async fn story_of(store: &Store, id: i64) -> Option<i64> {
    store.articles(&[presswatch::model::ArticleId(id)]).await.unwrap()[0].story_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syndicated_copies_and_rewrites_share_a_story_others_do_not() {
    let f = super::report::fixture("").await;
    let s = &f.store;
    let t = |h| Some(local(2026, 11, 12, h, 0, 0));
    let wire = insert(s, 101, "trong-nuoc", "vi", "Cần Giờ họp bàn giữ rừng mùa khô", WIRE, t(16), &[], &["can-gio"]).await;
    // a verbatim repost, new title, the outlet's footer
    let copy = insert(
        s,
        102,
        "hai-ngoai",
        "vi",
        "Huyện Cần Giờ lo phòng cháy rừng",
        &format!("{WIRE}\nTheo Báo Trong Nước."),
        t(17),
        &[],
        &["can-gio"],
    )
    .await;
    let rewrite = insert(s, 103, "nuoc-ngoai", "vi", "Giữ rừng ngập mặn trước mùa khô", REWRITE, t(18), &[], &["can-gio"]).await;
    let other = insert(s, 104, "trong-nuoc", "vi", "Khảo sát rừng ngập mặn Cần Giờ", OTHER_FOREST, t(19), &[], &["can-gio"]).await;
    let fire = insert(s, 105, "hai-ngoai", "vi", "Cháy cỏ khô ở Bình Khánh", OTHER_FIRE, t(20), &[], &[]).await;
    let _ = (copy, rewrite);
    let n = presswatch::serve::pipeline::assign_stories(s, 2).await.unwrap();
    assert!(n >= 5, "{n}");
    assert_eq!(story_of(s, wire).await, Some(wire), "a story is named by its first article");
    assert_eq!(story_of(s, copy).await, Some(wire), "the repost joins it");
    assert_eq!(story_of(s, rewrite).await, Some(wire), "the rewrite joins it");
    assert_eq!(story_of(s, other).await, Some(other), "same place and subject, different piece");
    assert_eq!(story_of(s, fire).await, Some(fire));

    // a late copy joins the story in a later pass; nothing assigned is touched again
    let late = insert(
        s,
        106,
        "nuoc-ngoai",
        "vi",
        "Cần Giờ: giữ rừng mùa khô",
        &WIRE.replace("Chiều 12/11, ", ""),
        Some(local(2026, 11, 13, 8, 0, 0)),
        &[],
        &[],
    )
    .await;
    assert_eq!(presswatch::serve::pipeline::assign_stories(s, 100).await.unwrap(), 1);
    assert_eq!(story_of(s, late).await, Some(wire));
    let members = s.story_members(wire).await.unwrap();
    assert_eq!(members.iter().map(|m| m.id).collect::<Vec<_>>(), vec![wire, copy, rewrite, late], "first published first");
    assert_eq!(s.story_sizes(&[wire, other]).await.unwrap().get(&wire), Some(&4));
    // the queue's figures for many stories at once are each story's own
    let since = local(2026, 11, 12, 17, 30, 0);
    let many = s.stories_stats(&[wire, other, fire, wire, 999_999], since).await.unwrap();
    for id in [wire, other, fire] {
        let one = s.story_stats(id, since).await.unwrap();
        let got = many[&id];
        assert_eq!((got.articles, got.recent, got.outlets, got.first_seen), (one.articles, one.recent, one.outlets, one.first_seen), "story {id}");
    }
    assert_eq!((many[&wire].articles, many[&wire].outlets, many[&wire].recent), (4, 3, 2));
    assert!(!many.contains_key(&999_999), "a story without articles is absent");
}

/// `export` carries each article's story id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_lists_story_ids() {
    let f = super::report::fixture("").await;
    let t = Some(local(2026, 11, 12, 16, 0, 0));
    let wire = insert(&f.store, 201, "trong-nuoc", "vi", "Cần Giờ họp bàn giữ rừng mùa khô", WIRE, t, &[], &[]).await;
    let copy = insert(&f.store, 202, "hai-ngoai", "vi", "Huyện Cần Giờ lo phòng cháy rừng", WIRE, t, &[], &[]).await;
    presswatch::serve::pipeline::assign_stories(&f.store, presswatch::stories::BATCH).await.unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_presswatch"))
        .args(["--config", f.config.to_str().unwrap_or_default(), "export"])
        .output()
        .expect("export");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let story = |id: i64| rows.iter().find(|r| r["id"] == id).map(|r| r["story_id"].clone()).unwrap();
    assert_eq!(story(wire), serde_json::json!(wire));
    assert_eq!(story(copy), serde_json::json!(wire));
    assert!(rows.iter().all(|r| r["story_id"].is_i64()), "every article has a story once the stage has run");
}
