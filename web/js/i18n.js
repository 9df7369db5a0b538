// Interface texts: Simplified Chinese by default, English on request (stored in localStorage).
const TEXTS = {
  zh: {
    app_name: '民意速办', console_name: '民意速办 · 工作台', lang_switch: 'English', lang_label: '切换语言',
    skip: '跳到主要内容', loading: '加载中…', offline: '当前离线：显示的是已缓存的页面', retry: '重试',
    sign_in: '登录', sign_out: '退出', phone: '手机号码', phone_hint: '11 位中国大陆手机号',
    sms_code: '短信验证码', first_time: '首次使用（用短信验证码注册）', password: '密码', new_password: '设置新密码', totp_code: '验证器动态码', totp_secret: '请在验证器应用中添加此密钥：', send_code: '获取验证码', verify: '验证并登录', local_hint: '本地模式：输入手机号即可登录', local_console_hint: '本地模式：选择角色和单位即可登录',
    nav_new: '我要反映', nav_mine: '我的诉求', nav_track: '查询进度', new_request: '我要反映',
    nav_scores: '办理公示', city_scores: '办理情况公示', scores_period: '统计时段', by_unit: '各承办单位', by_district: '各区',
    scores_notes: '按时办结率 = 按时办结件数 ÷（办结件数 + 当前超期未办结件数）；满意率 = 满意评价 ÷ 全部评价；重办后化解 = 群众不满意退回重办（含其后督办）、最终满意办结的件数。几分钟内随办理进展更新，只含统计数字，不含任何诉求内容或个人信息。',
    category: '诉求类型', topic: '诉求领域', district: '所在区', description: '诉求内容', address: '详细地址',
    explain_complaint: '投诉：反映单位或个人办事不当、侵害权益等问题，要求处理。', explain_consultation: '咨询：询问政策规定、办事流程等，要求解答。',
    explain_suggestion: '建议：对城市管理和公共服务提出改进意见。', explain_help: '求助：遇到困难，需要政府部门帮助解决。',
    explain_days: '承办单位须在{n}个工作日内答复。', explain_category_none: '请选择：投诉、咨询、建议或求助，不同类型的办理时限不同。',
    explain_topic: '诉求所属领域，决定由哪一类部门办理。', explain_district: '事情发生在哪个区，由该区的承办单位办理。',
    reclassify: '更正分类', reclassify_reason: '更正原因（必填，仅工作人员可见）', reclassify_hint: '只更正分类，不改变承办单位；如需改由其他单位办理，请再改派。',
    returned_it: '曾退回此件', choose_missing: '请先选择：', district_suggested: '根据您的位置，可能在：', use_suggestion: '选用', district_differs: '（与您所选的区不同）',
    by_channel: '各渠道受理量', channel: '渠道', channel_app: '手机应用', channel_hotline: '12345 热线', channel_web: '网页', channel_open311: 'Open311 接口',
    address_hint: '例如：福田区深南大道 6008 号', location: '位置', use_location: '使用当前位置',
    location_none: '未添加位置（可选）', location_denied: '无法获取位置', photos: '照片', video: '视频',
    voice: '语音', record: '开始录音', stop: '停止录音', recording: '正在录音…', voice_unsupported: '此浏览器无法录制可上传的语音格式',
    contact_phone: '联系电话', submit: '提交诉求', submitting: '正在提交…', uploading: '上传中', uploaded: '已上传',
    upload_failed: '上传失败', wait_uploads: '请等待附件上传完成', remove: '移除',
    publish_description: '同意在城市公开数据中公开诉求内容',
    publish_hint: '默认不公开。勾选后，诉求内容会公开发布，其中的电话、身份证号、邮箱、银行卡号和车牌号自动隐去，请勿写入姓名。无论是否勾选，详细地址、照片和联系电话都不公开，位置只公开到约 100 米；公开的只有诉求领域、所在区、办理进度和承办单位的答复。',
    submitted_title: '诉求已提交', tracking_no: '受理编号', keep_no: '请记下编号，可凭编号和手机号后四位查询进度。',
    view_request: '查看诉求', my_requests: '我的诉求', none_yet: '还没有诉求。', status: '状态', unit: '承办单位',
    deadline: '办理时限', overdue: '已超期', near_deadline: '临近时限', submitted_at: '提交时间', timeline: '办理进度',
    attachments: '附件', open_file: '打开', rate_title: '评价办理结果', rate_speed: '处置速度', rate_effectiveness: '处置效果',
    rate_experience: '服务体验', rate_feedback_quality: '反馈质量', comment: '意见（选填）', submit_rating: '提交评价',
    rating_thanks: '感谢评价！', rating_unsatisfied: '已收到不满意评价，诉求将退回承办单位重新办理。',
    stars: '星', withdraw: '撤回诉求', withdraw_reason: '撤回原因（选填）', withdrawn_ok: '诉求已撤回',
    supplement: '补充材料', supplement_text: '补充说明', send: '发送', supplement_ok: '已补充',
    track_title: '查询办理进度', track_no: '受理编号', last4: '手机号后四位（或短信中的6位评价码）', search: '查询',
    track_locked: '本设备查询错误次数过多，请 {n} 分钟后再试。', track_verify: '该编号近期被多次错误查询，仅凭手机号后四位暂不能查看。请登录，或使用短信中的评价码。',
    rate_code_title: '评价办理结果', rate_code_intro: '请输入短信中的受理编号和6位评价码。', rate_code: '评价码（6位数字）', rate_code_next: '下一步', code_unknown: '受理编号或评价码不对，请核对最新一条短信。', code_locked: '错误次数过多，请 {n} 分钟后再试。',
    rate_link_title: '您的诉求已答复', link_not_rateable: '这条评价链接已用过或已过期，无需再评价。诉求当前状态：', link_unknown: '评价链接无效，请使用最新一条短信中的链接。', rate_link_intro: '受理编号', back_home: '返回首页', replies: '单位答复',
    chars: '字', optional: '选填', required: '必填', error: '出错了', reply_from: '答复',
    // console
    role: '角色', role_staff: '承办单位', role_dispatcher: '派单员', role_supervisor: '督办员', role_admin: '管理员',
    new_call: '来电登记', caller_phone: '来电人手机', caller_phone_hint: '受理短信和评价短信发到此号码', caller_language: '短信语言',
    call_filed: '已登记，来电人将收到受理短信', call_filed_hint: '请告知来电人受理编号；凭编号和手机号后四位可在“查询进度”查看办理情况。',
    catalogue: '目录与派单规则', catalog_in_force: '现行版本', catalog_history: '版本记录', catalog_version: '版本', catalog_accepted_at: '生效时间', catalog_accepted_by: '操作人', catalog_upload: '上传新目录（JSON）', catalog_file: '目录文件（.json）', catalog_check: '检查差异', catalog_apply: '确认生效', catalog_changes: '项变更', catalog_no_changes: '与现行版本相同，无需生效', catalog_applied: '已生效：版本', catalog_not_json: '文件不是 JSON 目录文档（YAML 请先用 minyi catalog check 检查后转为 JSON）', catalog_none: '尚未导入目录',
    next_call: '登记下一个来电', filed_at: '登记时间', choose: '请选择', staff_accounts: '工作人员账号', new_account: '新建账号', person_name: '姓名', account_phone: '手机号（登录名，临时密码以短信发送）', account_status: '状态', enabled: '启用', disabled: '已停用', disable: '停用', account_created: '账号已建立，临时密码已短信发送', first_sign_in: '待首次登录', reply_files: '承办单位答复附件', answers: '承办单位答复', received: '派至本单位', phone_fixed: '通知发到账号绑定的手机号', calls_this_shift: '本班已登记', lang_zh: '中文', lang_en: 'English',
    session_ended: '登录已失效（账号可能已停用），请重新登录',
    withdraw_confirm_title: '确定撤回这条诉求吗？', withdraw_confirm_text: '撤回后，承办单位将停止办理，这条诉求随即结束，不能恢复，也不能再评价；问题如仍存在，需要重新反映。',
    withdraw_confirm: '确认撤回', withdraw_keep: '不撤回', supplement_photos: '照片（选填）',
    account_exists: '该手机号已有账号', citizen_ratings: '群众评价', rating_satisfied: '满意', rating_unsatisfied_staff: '不满意', round: '第{n}轮', list_sep: '，',
    role_operator: '热线坐席', your_unit: '所属单位', inbox: '待办工单', queue: '派单队列', supervision: '督办',
    scoreboard: '考核看板', case: '工单', open_cases: '在办', closed_cases: '已办结', withdrawn_cases: '已撤回',
    show: '显示', citizen_text: '群众诉求', citizen_phone: '联系电话', coordinates: '坐标', media: '媒体附件',
    staff_timeline: '内部流转记录', notes: '内部备注', add_note: '添加备注', note: '备注', accept: '受理',
    reply: '答复', reply_message: '答复内容', return: '退回', return_reason: '退回原因', extension: '申请延期',
    ext_days: '延期工作日', ext_reason: '延期原因', dispatch: '派单', transfer: '改派', dispatch_unit: '承办单位',
    transfer_reason: '改派原因（改派时必填）', all_districts: '显示全部区的单位', decision: '延期审批', approve: '同意',
    refuse: '不同意', decision_note: '审批意见', instructions: '督办意见', due_in_days: '办理期限（工作日）',
    send_instructions: '下达督办', reveal_phone: '查看完整号码', sms: '短信记录', reasons: '督办原因',
    reason_overdue: '超期', reason_supervised: '督办中', reason_flagged: '流程异常', reason_extension_pending: '待审延期',
    reason_dispatch_overdue: '派单超时', nothing: '暂无工单。', done: '已完成', period: '统计周期',
    from: '开始日期', to: '结束日期', last7: '近 7 天', last30: '近 30 天', last90: '近 90 天', apply: '更新',
    export_csv: '导出 CSV', on_time_rate: '按时办结率', satisfaction_rate: '满意率', cases_per_day: '每日受理量',
    rollbacks: '退回重办与化解', reopened: '重办', resolved_after_rollback: '重办后化解', totals: '总计',
    submitted: '受理', closed: '办结', supervised: '督办', overdue_n: '超期', data_table: '查看数据表',
    no_data: '暂无数据', day: '日期', count: '数量', back: '返回', actions: '操作', current_unit: '当前单位',
    location_none_staff: '未提供位置', extension_status: '延期申请', case_closed: '工单已结束',
    knowledge: '知识库', kb_search: '搜索知识库', kb_hint: '随来电人问题自动搜索，也可自行输入关键词', kb_use: '用此答复', kb_none: '没有匹配的条目',
    answer_at_intake: '直接办结（咨询类：电话中已答复，不派单）', intake_answer: '答复内容', intake_answer_hint: '读给来电人听，并以短信发送（300 字以内）',
    call_answered: '已直接办结，来电人将收到答复短信', call_answered_hint: '答复和评价码已短信发给来电人；工单已办结，不派单。',
    reply_template: '答复模板', reply_template_hint: '选用后填入答复内容，请补全 [ ] 处', template_none: '不使用模板',
    callbacks: '回访', callbacks_hint: '已答复、来电人尚未评价的热线工单，最早答复在前。请拨打来电人号码，读出单位答复并记录结果。',
    callbacks_none: '暂无待回访工单。', dial: '拨打', unit_answer: '单位答复', replied_at: '答复时间', unreachable_days: '未接通工作日',
    callback_outcome: '回访结果', callback_rated: '已评价', callback_unreachable: '未接通', callback_declined: '拒绝评价', callback_record: '记录回访',
    score_speed: '处置速度', score_effectiveness: '处置效果', score_experience: '服务体验', score_feedback_quality: '反馈质量',
  },
  en: {
    app_name: 'Minyi city requests', console_name: 'Minyi · staff console', lang_switch: '中文', lang_label: 'Switch language',
    skip: 'Skip to main content', loading: 'Loading…', offline: 'You are offline: this page comes from the cache', retry: 'Retry',
    sign_in: 'Sign in', sign_out: 'Sign out', phone: 'Mobile number', phone_hint: '11-digit mainland mobile number',
    sms_code: 'SMS code', first_time: 'First time here (sign up with an SMS code)', password: 'Password', new_password: 'New password', totp_code: 'Authenticator code', totp_secret: 'Add this key to your authenticator app:', send_code: 'Send code', verify: 'Verify and sign in', local_hint: 'Local mode: any mobile number signs in', local_console_hint: 'Local mode: pick a role and a unit to sign in',
    nav_new: 'New request', nav_mine: 'My requests', nav_track: 'Track', new_request: 'New request',
    nav_scores: 'Scoreboard', city_scores: 'How the city answers', scores_period: 'Period', by_unit: 'By unit', by_district: 'By district',
    scores_notes: 'On-time rate = closed on time ÷ (closed + open past the deadline now); satisfaction rate = satisfied ratings ÷ all ratings; resolved after rollback = cases an unsatisfied citizen sent back (supervision included) that were finally closed satisfied. Updated within minutes as cases move; counts only, no request text and no person.',
    category: 'Type', topic: 'Topic', district: 'District', description: 'What happened', address: 'Address',
    explain_complaint: 'Complaint: something a unit or person did wrong or that harms your rights, to be dealt with.', explain_consultation: 'Consultation: a question about rules or procedures, to be answered.',
    explain_suggestion: 'Suggestion: an idea to improve the city\'s management or public services.', explain_help: 'Help: a difficulty you need a public body to help you with.',
    explain_days: 'The unit answers within {n} working days.', explain_category_none: 'Choose complaint, consultation, suggestion or help: each has its own deadline.',
    explain_topic: 'What it is about: decides which kind of body handles it.', explain_district: 'Where it happens: that district\'s unit handles it.',
    reclassify: 'Correct the classification', reclassify_reason: 'Reason (required, staff only)', reclassify_hint: 'Changes the classification only, not the unit: transfer the case if another unit should handle it.',
    returned_it: 'returned it', choose_missing: 'Please choose: ', district_suggested: 'Your position suggests: ', use_suggestion: 'Use it', district_differs: ' (not the district you chose)',
    by_channel: 'Intake by channel', channel: 'Channel', channel_app: 'App', channel_hotline: '12345 hotline', channel_web: 'Web', channel_open311: 'Open311',
    address_hint: 'e.g. 6008 Shennan Road, Futian', location: 'Location', use_location: 'Use my location',
    location_none: 'No location added (optional)', location_denied: 'Location unavailable', photos: 'Photos', video: 'Video',
    voice: 'Voice note', record: 'Record', stop: 'Stop', recording: 'Recording…', voice_unsupported: 'This browser cannot record an accepted audio format',
    contact_phone: 'Contact phone', submit: 'Send request', submitting: 'Sending…', uploading: 'Uploading', uploaded: 'Uploaded',
    upload_failed: 'Upload failed', wait_uploads: 'Please wait for the uploads to finish', remove: 'Remove',
    publish_description: 'Publish what I wrote in the city\'s open data',
    publish_hint: 'Not published unless you tick this. If you do, your text is published with phone numbers, ID numbers, e-mails, bank cards and licence plates hidden; do not write names. Either way, your address, photos and phone are never published and the place only to about 100 m; what is published is the topic, district, progress and the unit\'s answer.',
    submitted_title: 'Request received', tracking_no: 'Tracking number', keep_no: 'Keep this number: with your phone\'s last four digits it tracks the request.',
    view_request: 'View request', my_requests: 'My requests', none_yet: 'No requests yet.', status: 'Status', unit: 'Handling unit',
    deadline: 'Deadline', overdue: 'Overdue', near_deadline: 'Due soon', submitted_at: 'Submitted', timeline: 'Progress',
    attachments: 'Attachments', open_file: 'Open', rate_title: 'Rate the answer', rate_speed: 'Speed', rate_effectiveness: 'Effectiveness',
    rate_experience: 'Service experience', rate_feedback_quality: 'Feedback quality', comment: 'Comment (optional)', submit_rating: 'Send rating',
    rating_thanks: 'Thank you for rating!', rating_unsatisfied: 'Unsatisfied: the request goes back to the unit to be handled again.',
    stars: 'stars', withdraw: 'Withdraw request', withdraw_reason: 'Reason (optional)', withdrawn_ok: 'Request withdrawn',
    supplement: 'Add information', supplement_text: 'Additional information', send: 'Send', supplement_ok: 'Added',
    track_title: 'Track a request', track_no: 'Tracking number', last4: 'Last 4 digits of the phone (or the 6-digit rating code from the SMS)', search: 'Search',
    track_locked: 'Too many wrong tries from this device. Try again in {n} minutes.', track_verify: 'This number was guessed at too often lately, so the last 4 digits alone are not enough for now. Sign in, or use the code from your SMS (its 6-digit rating code).',
    rate_code_title: 'Rate the answer', rate_code_intro: 'Enter the tracking number and the 6-digit rating code from your SMS.', rate_code: 'Rating code (6 digits)', rate_code_next: 'Next', code_unknown: 'The tracking number or the rating code is not right; check your latest SMS.', code_locked: 'Too many wrong tries. Try again in {n} minutes.',
    rate_link_title: 'Your request was answered', link_not_rateable: 'This rating link has been used or has expired; nothing to rate now. The request is: ', link_unknown: 'This rating link is not valid; use the link in your latest SMS.', rate_link_intro: 'Tracking number', back_home: 'Home', replies: 'Answers',
    chars: 'characters', optional: 'optional', required: 'required', error: 'Something went wrong', reply_from: 'Answer',
    role: 'Role', role_staff: 'Unit staff', role_dispatcher: 'Dispatcher', role_supervisor: 'Supervisor', role_admin: 'Admin',
    new_call: 'New call', caller_phone: 'Caller\'s mobile', caller_phone_hint: 'The receipt and the rating SMS go to this number', caller_language: 'SMS language',
    call_filed: 'Filed: the caller gets a receipt by SMS', call_filed_hint: 'Tell the caller the tracking number: with the last four digits of their mobile it tracks the request under "Track".',
    catalogue: 'Catalogue and routing', catalog_in_force: 'Version in force', catalog_history: 'History', catalog_version: 'Version', catalog_accepted_at: 'Accepted at', catalog_accepted_by: 'By', catalog_upload: 'Upload a new catalogue (JSON)', catalog_file: 'Catalogue file (.json)', catalog_check: 'Show the changes', catalog_apply: 'Apply', catalog_changes: 'change(s)', catalog_no_changes: 'Same as the version in force: nothing to apply', catalog_applied: 'In force: version', catalog_not_json: 'The file is not a JSON catalogue document (check YAML with minyi catalog check and convert it to JSON first)', catalog_none: 'No catalogue imported yet',
    next_call: 'Next call', filed_at: 'Filed at', choose: 'Choose…', staff_accounts: 'Staff accounts', new_account: 'New account', person_name: 'Name', account_phone: 'Mobile (the sign-in name; the temporary password comes by SMS)', account_status: 'Status', enabled: 'Enabled', disabled: 'Disabled', disable: 'Disable', account_created: 'Account created; the temporary password was texted', first_sign_in: 'Not signed in yet', reply_files: 'Files from the unit', answers: 'The unit\'s answer', received: 'Received', phone_fixed: 'Notices go to the mobile your account is verified with', calls_this_shift: 'Filed this shift', lang_zh: '中文', lang_en: 'English',
    session_ended: 'Your session has ended (the account may have been disabled); sign in again',
    withdraw_confirm_title: 'Withdraw this request?', withdraw_confirm_text: 'Withdrawing ends it: the unit stops handling it, it cannot be reopened or rated, and if the problem remains you will need to report it again.',
    withdraw_confirm: 'Withdraw', withdraw_keep: 'Keep it', supplement_photos: 'Photos (optional)',
    account_exists: 'This mobile number already has an account', citizen_ratings: 'Citizen\'s ratings', rating_satisfied: 'Satisfied', rating_unsatisfied_staff: 'Unsatisfied', round: 'Round {n}', list_sep: ', ',
    role_operator: 'Hotline operator', your_unit: 'Unit', inbox: 'Inbox', queue: 'Dispatch queue', supervision: 'Supervision',
    scoreboard: 'Scoreboard', case: 'Case', open_cases: 'Open', closed_cases: 'Closed', withdrawn_cases: 'Withdrawn',
    show: 'Show', citizen_text: 'Citizen\'s request', citizen_phone: 'Phone', coordinates: 'Coordinates', media: 'Media',
    staff_timeline: 'Staff timeline', notes: 'Internal notes', add_note: 'Add note', note: 'Note', accept: 'Accept',
    reply: 'Reply', reply_message: 'Reply to the citizen', return: 'Return', return_reason: 'Reason for returning', extension: 'Request extension',
    ext_days: 'Extra working days', ext_reason: 'Reason for the extension', dispatch: 'Dispatch', transfer: 'Transfer', dispatch_unit: 'Unit',
    transfer_reason: 'Reason (required to transfer)', all_districts: 'Show units of every district', decision: 'Extension decision', approve: 'Approve',
    refuse: 'Refuse', decision_note: 'Decision note', instructions: 'Supervision instructions', due_in_days: 'Due in (working days)',
    send_instructions: 'Send instructions', reveal_phone: 'Reveal full number', sms: 'SMS sent', reasons: 'Reasons',
    reason_overdue: 'Overdue', reason_supervised: 'Supervised', reason_flagged: 'Flagged', reason_extension_pending: 'Extension pending',
    reason_dispatch_overdue: 'Dispatch overdue', nothing: 'No cases.', done: 'Done', period: 'Period',
    from: 'From', to: 'To', last7: 'Last 7 days', last30: 'Last 30 days', last90: 'Last 90 days', apply: 'Update',
    export_csv: 'Export CSV', on_time_rate: 'On-time rate', satisfaction_rate: 'Satisfaction rate', cases_per_day: 'Cases per day',
    rollbacks: 'Rollbacks and their resolution', reopened: 'Reopened', resolved_after_rollback: 'Resolved after rollback', totals: 'Totals',
    submitted: 'Submitted', closed: 'Closed', supervised: 'Supervised', overdue_n: 'Overdue', data_table: 'Show the data',
    no_data: 'No data yet', day: 'Day', count: 'Count', back: 'Back', actions: 'Actions', current_unit: 'Current unit',
    location_none_staff: 'No location given', extension_status: 'Extension request', case_closed: 'This case is finished',
    knowledge: 'Knowledge base', kb_search: 'Search the knowledge base', kb_hint: 'Searched as you type the caller\'s question; or type keywords', kb_use: 'Use this answer', kb_none: 'No matching entry',
    answer_at_intake: 'Answered on the call (consultations: closed now, not dispatched)', intake_answer: 'Answer', intake_answer_hint: 'Read it to the caller; it is texted to them too (300 characters at most)',
    call_answered: 'Answered and closed: the caller gets the answer by SMS', call_answered_hint: 'The answer and a rating code were texted to the caller; the case is closed, not dispatched.',
    reply_template: 'Reply template', reply_template_hint: 'Fills the reply; complete the [ ] parts', template_none: 'No template',
    callbacks: 'Callbacks', callbacks_hint: 'Hotline cases answered and not yet rated, oldest answer first. Call the caller, read out the unit\'s answer and record the call.',
    callbacks_none: 'No callbacks waiting.', dial: 'Call', unit_answer: 'Unit\'s answer', replied_at: 'Answered', unreachable_days: 'Working days unreachable',
    callback_outcome: 'Outcome', callback_rated: 'Rated', callback_unreachable: 'Unreachable', callback_declined: 'Declined to rate', callback_record: 'Record the call',
    score_speed: 'Speed', score_effectiveness: 'Effectiveness', score_experience: 'Service experience', score_feedback_quality: 'Feedback quality',
  },
};

const STATUS = {
  zh: { SUBMITTED: '已提交', DISPATCHED: '已派单', IN_PROGRESS: '办理中', RETURNED: '已退回', REPLIED: '已答复',
    REOPENED: '重新办理', SUPERVISED: '督办中', CLOSED: '已办结', WITHDRAWN: '已撤回' },
  en: { SUBMITTED: 'Submitted', DISPATCHED: 'Dispatched', IN_PROGRESS: 'In progress', RETURNED: 'Returned', REPLIED: 'Answered',
    REOPENED: 'Reopened', SUPERVISED: 'Supervised', CLOSED: 'Closed', WITHDRAWN: 'Withdrawn' },
};

const CATEGORY = {
  zh: { consultation: '咨询', complaint: '投诉', suggestion: '建议', help: '求助' },
  en: { consultation: 'Consultation', complaint: 'Complaint', suggestion: 'Suggestion', help: 'Help' },
};

export function lang() {
  const stored = localStorage.getItem('minyi.lang');
  return stored === 'en' ? 'en' : 'zh';
}

export function setLang(value) {
  localStorage.setItem('minyi.lang', value);
  document.documentElement.lang = value === 'en' ? 'en' : 'zh-CN';
}

/** `Complaint (5 working days)` / `投诉（5个工作日）`: a category with its handling time. */
export function categoryWithDays(label, days) {
  if (lang() === 'en') return `${label} (${days} working day${days === 1 ? '' : 's'})`;
  return `${label}（${days}个工作日）`;
}

export function t(key) {
  return TEXTS[lang()][key] ?? TEXTS.zh[key] ?? key;
}

const EVENTS = {
  zh: { submitted: '提交', queued_for_dispatch: '进入派单队列', dispatched: '派单', accepted: '受理', returned: '退回',
    replied: '答复', rated: '评价', reopened: '重新办理', supervised: '督办', closed: '办结', deadline_warning: '时限预警',
    overdue: '超期', extension_requested: '申请延期', extension_approved: '延期获批', extension_refused: '延期未获批',
    workflow_repaired: '流程修复', flagged_for_supervisor: '提请督办', phone_revealed: '查看完整号码', media_viewed: '查看附件',
    note_added: '内部备注', withdrawn: '撤回', supplemented: '补充材料', transferred: '改派', dispatch_overdue: '派单超时',
    supervision_instructed: '下达督办意见', reclassified: '更正分类' },
  en: { submitted: 'Submitted', queued_for_dispatch: 'Queued for dispatch', dispatched: 'Dispatched', accepted: 'Accepted',
    returned: 'Returned', replied: 'Answered', rated: 'Rated', reopened: 'Reopened', supervised: 'Supervised', closed: 'Closed',
    deadline_warning: 'Deadline warning', overdue: 'Overdue', extension_requested: 'Extension requested',
    extension_approved: 'Extension approved', extension_refused: 'Extension refused', workflow_repaired: 'Workflow repaired',
    flagged_for_supervisor: 'Flagged for a supervisor', phone_revealed: 'Phone revealed', media_viewed: 'Media viewed',
    note_added: 'Internal note', withdrawn: 'Withdrawn', supplemented: 'Information added', transferred: 'Transferred',
    dispatch_overdue: 'Dispatch overdue', supervision_instructed: 'Supervision instructions', reclassified: 'Classification corrected' },
};

const ROLES = {
  zh: { citizen: '群众', operator: '坐席', staff: '承办单位', dispatcher: '派单员', supervisor: '督办员', admin: '管理员', system: '系统' },
  en: { citizen: 'citizen', operator: 'operator', staff: 'unit', dispatcher: 'dispatcher', supervisor: 'supervisor', admin: 'admin', system: 'system' },
};

export const eventLabel = (e) => EVENTS[lang()][e] ?? e;
export const actorLabel = (r) => ROLES[lang()][r] ?? r;
export const statusLabel = (s) => STATUS[lang()][s] ?? s;
export const categoryLabel = (c) => CATEGORY[lang()][c] ?? c;

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(d);
}

// Units organise their work (assignee, 协办, urgent): added apart so each part of the console keeps its own lines.
Object.assign(TEXTS.zh, {
  urgent: '紧急', urgent_mark: '紧急（请马上派人来）', urgent_call_hint: '按紧急时限（工作小时）派单，排在承办单位待办首位，并立即短信通知单位值班电话。',
  urgent_dispatch_hint: '时限按紧急工作小时计算，并立即短信通知单位值班电话。',
  assigned_to_me: '交给我的', assign: '交办', assignee: '经办人', assist_mark: '协办', assist_units: '协办单位',
  assist_request: '请求协办', assist_note: '需要协办单位做什么', assist_send: '发送协办请求', assist_pick_one: '请至少选择一个协办单位',
  cancel: '取消', signin_account: '或以已建账号登录', signin_account_hint: '管理员建立的账号的手机号（角色和单位以账号为准）',
});
Object.assign(TEXTS.en, {
  urgent: 'Urgent', urgent_mark: 'Urgent (send someone now)', urgent_call_hint: 'Due in urgent working hours, first in the unit\'s inbox, and the unit\'s duty phone is texted at once.',
  urgent_dispatch_hint: 'The deadline counts urgent working hours and the unit\'s duty phone is texted at once.',
  assigned_to_me: 'Assigned to me', assign: 'Assign', assignee: 'Assignee', assist_mark: 'Assisting', assist_units: 'Assisting units',
  assist_request: 'Ask for assistance', assist_note: 'What the assisting units should do', assist_send: 'Send the request', assist_pick_one: 'Pick at least one unit',
  cancel: 'Cancel', signin_account: 'Or sign in as an account', signin_account_hint: 'The mobile number of an account an admin created (its role and unit apply)',
});
Object.assign(EVENTS.zh, { assigned: '交办', assist_requested: '请求协办' });
Object.assign(EVENTS.en, { assigned: 'Assigned', assist_requested: 'Assistance requested' });
