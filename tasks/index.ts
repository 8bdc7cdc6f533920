export const medstateTasks = [];
