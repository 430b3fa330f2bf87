package zookeeper

// CategoryReadMsg is categoryReadMsg, for the scale test's timing.
const CategoryReadMsg = categoryReadMsg
