package zookeeper

// CategoryReadMsg is categoryReadMsg, for the scale test's timing.
const CategoryReadMsg = categoryReadMsg

// NewClientMsg is newClientMsg, for the tests that count new clients.
const NewClientMsg = newClientMsg
